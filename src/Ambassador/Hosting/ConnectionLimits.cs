using Ambassador.Configuration;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Ambassador.Hosting;

/// <summary>
/// Bounds the proxy's memory under connection storms: a connection limit on the proxy listeners (Kestrel's own
/// <see cref="KestrelServerLimits.MaxConcurrentConnections"/> counts the admin listener too and rejects with a
/// warning per connection) and per-connection buffers sized for a sidecar.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "Lives as long as Kestrel; a SemaphoreSlim owns no handle unless AvailableWaitHandle is used.")]
internal sealed partial class ConnectionLimits
{
    private readonly SemaphoreSlim _slots;
    private readonly KestrelServerLimits _kestrel;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Logging.LogThrottle<int> _throttle;

    private ConnectionLimits(int maxConnections, KestrelServerOptions kestrel)
    {
        MaxConnections = maxConnections;
        _slots = new SemaphoreSlim(maxConnections, maxConnections);
        _kestrel = kestrel.Limits;
        _time = kestrel.ApplicationServices.GetService<TimeProvider>() ?? TimeProvider.System;
        _logger = kestrel.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger<ConnectionLimits>();
        _throttle = new Logging.LogThrottle<int>(_time, Logging.UpstreamFailureLog.RepeatInterval);
    }

    public int MaxConnections { get; }

    /// <summary>Registers the option's key and validation; call while building the host.</summary>
    public static void AddServices(IServiceCollection services)
    {
        services.AddAmbassadorConfigKeys("Limits:MaxConnections");
        services.AddAmbassadorConfigValidation<LimitsConfigValidator>();
    }

    /// <summary>Applies the buffer limits to Kestrel and returns the connection limit for the proxy listeners.</summary>
    public static ConnectionLimits Apply(KestrelServerOptions kestrel, IConfiguration config)
    {
        kestrel.Limits.MaxRequestBufferSize = LimitsConstants.RequestBufferBytes;
        kestrel.Limits.Http2.InitialConnectionWindowSize = LimitsConstants.Http2ConnectionWindowBytes;
        kestrel.Limits.Http2.InitialStreamWindowSize = LimitsConstants.Http2StreamWindowBytes;
        var max = LimitsConfigValidator.ReadMaxConnections(config.GetSection(LimitsOptions.SectionName), problems: null);
        return new ConnectionLimits(max, kestrel);
    }

    /// <summary>Connection middleware; use it first on each proxy listener.</summary>
    public ConnectionDelegate Middleware(ConnectionDelegate next) => async connection =>
    {
        if (!_slots.Wait(0) && !await WaitForSlotAsync(connection).ConfigureAwait(false))
        {
            return;
        }

        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            _slots.Release();
        }
    };

    private async Task<bool> WaitForSlotAsync(ConnectionContext connection)
    {
        if (_throttle.ShouldLog(0, out var suppressed))
        {
            LogAtLimit(_logger, MaxConnections, suppressed);
        }

        using var deadline = new CancellationTokenSource(_kestrel.RequestHeadersTimeout, _time);
        using var closed = connection.ConnectionClosed.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), deadline);
        try
        {
            await _slots.WaitAsync(deadline.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            connection.Abort(new ConnectionAbortedException("No free connection slot within the request headers timeout."));
            return false;
        }
    }
}
