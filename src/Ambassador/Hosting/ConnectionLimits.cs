using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Ambassador.Hosting;

/// <summary>
/// Bounds the proxy's memory under connection storms: a connection limit on the proxy listeners (Kestrel's own
/// <see cref="KestrelServerLimits.MaxConcurrentConnections"/> counts the admin listener too and rejects with a
/// warning per connection) and per-connection buffers sized for a sidecar.
/// </summary>
internal sealed partial class ConnectionLimits
{
    private int _open;
    private readonly ILogger _logger;
    private readonly Logging.LogThrottle<int> _throttle;

    private ConnectionLimits(int maxConnections, KestrelServerOptions kestrel)
    {
        MaxConnections = maxConnections;
        var time = kestrel.ApplicationServices.GetService<TimeProvider>() ?? TimeProvider.System;
        _logger = kestrel.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger<ConnectionLimits>();
        _throttle = new Logging.LogThrottle<int>(time, Logging.UpstreamFailureLog.RepeatInterval);
    }

    public int MaxConnections { get; }

    /// <summary>Registers the option's key and validation; call while building the host.</summary>
    public static void AddServices(IServiceCollection services)
    {
        services.AddAmbassadorOptions(LimitsOptionTable.Limits);
    }

    /// <summary>Applies the buffer limits to Kestrel and returns the connection limit for the proxy listeners.</summary>
    public static ConnectionLimits Apply(KestrelServerOptions kestrel, IConfiguration config)
    {
        kestrel.Limits.MaxRequestBufferSize = LimitsConstants.RequestBufferBytes;
        kestrel.Limits.Http2.InitialConnectionWindowSize = LimitsConstants.Http2ConnectionWindowBytes;
        kestrel.Limits.Http2.InitialStreamWindowSize = LimitsConstants.Http2StreamWindowBytes;
        var max = ReadMaxConnections(config.GetSection(LimitsOptions.SectionName));
        return new ConnectionLimits(max, kestrel);
    }

    /// <summary>The validated limit (validation rejected anything else, so a value that does not parse is the default).</summary>
    internal static int ReadMaxConnections(IConfigurationSection section) =>
        int.TryParse(section[nameof(LimitsOptions.MaxConnections)], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value)
            ? value : LimitsOptionTable.MaxConnections.Default;

    /// <summary>Connection middleware; use it first on each proxy listener.</summary>
    public ConnectionDelegate Middleware(ConnectionDelegate next) => async connection =>
    {
        if (Interlocked.Increment(ref _open) > MaxConnections)
        {
            // Refused at once: a connection kept waiting still holds its socket, pipes and first buffer, and a
            // storm of them grew the process past the pod limit (measured in docs/reliability.md).
            Interlocked.Decrement(ref _open);
            if (_throttle.ShouldLog(0, out var suppressed))
            {
                LogAtLimit(_logger, MaxConnections, suppressed);
            }

            connection.Abort(new ConnectionAbortedException("The proxy listeners are at Ambassador:Limits:MaxConnections."));
            return;
        }

        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _open);
        }
    };
}
