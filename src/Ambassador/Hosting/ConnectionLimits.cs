using System.Net;
using Ambassador.Configuration;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Ambassador.Hosting;

/// <summary>
/// Bounds the proxy's memory and CPU under connection storms: at most <see cref="MaxConnections"/> connections on the
/// proxy listeners (plain, TLS and the Unix socket together: one budget for the process, as HAProxy's <c>maxconn</c>,
/// because what it protects is the process's memory whichever listener a connection came in on; the admin listener is
/// not counted), and per-connection buffers sized for a sidecar. At the limit the limited listeners stop accepting
/// (<see cref="ConnectionLimitListenerFactory"/>), so a connection beyond it waits in the kernel's listen backlog until
/// one closes. Kestrel's own
/// <see cref="KestrelServerLimits.MaxConcurrentConnections"/> is not used: it counts the admin listener too, and it
/// accepts and closes each connection beyond the limit, which makes clients reconnect in a tight loop.
/// </summary>
internal sealed partial class ConnectionLimits
{
    private readonly Lock _sync = new();
    private readonly ILogger _logger;
    private readonly Policies.Logging.LogThrottle<int> _throttle;
    private int _open;
    private TaskCompletionSource? _slotFreed;

    private ConnectionLimits(int maxConnections, KestrelServerOptions kestrel)
    {
        MaxConnections = maxConnections;
        var time = kestrel.ApplicationServices.GetService<TimeProvider>() ?? TimeProvider.System;
        _logger = kestrel.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger<ConnectionLimits>();
        _throttle = new Policies.Logging.LogThrottle<int>(time, Policies.Logging.LogThrottle.RepeatInterval);
        Listeners = kestrel.ApplicationServices.GetRequiredService<ConnectionLimitListenerFactory>();
    }

    public int MaxConnections { get; }

    /// <summary>Connections of the limited listeners now open.</summary>
    public int Open => Volatile.Read(ref _open);

    private ConnectionLimitListenerFactory Listeners { get; }

    /// <summary>Registers the option's key and validation and the limiting transport; call while building the host.</summary>
    public static void AddServices(IServiceCollection services)
    {
        services.AddAmbassadorOptions(LimitsOptionTable.Limits);
        services.AddSingleton<ConnectionLimitListenerFactory>();
        // Registered after Kestrel's socket transport, so Kestrel binds with this one (it takes the last registered).
        services.AddSingleton<IConnectionListenerFactory>(static sp => sp.GetRequiredService<ConnectionLimitListenerFactory>());
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

    /// <summary>
    /// Counts <paramref name="options"/>' connections against the limit; call first in its configure callback.
    /// <paramref name="localhost"/>: the listener was added with <c>ListenLocalhost</c> (bound as two loopback endpoints).
    /// </summary>
    public void Limit(ListenOptions options, bool localhost)
    {
        options.Use(Middleware);
        var endPoint = options.EndPoint;
        // A fixed port identifies the listener by value as well; port 0 only by the endpoint object Kestrel binds with.
        var byValue = endPoint is IPEndPoint { Port: not 0 };
        Listeners.Add(endPoint, byValue, this);
        if (localhost && endPoint is IPEndPoint ip)
        {
            Listeners.Add(new IPEndPoint(IPAddress.Loopback, ip.Port), byValue: true, this);
            Listeners.Add(new IPEndPoint(IPAddress.IPv6Loopback, ip.Port), byValue: true, this);
        }
    }

    /// <summary>Completes when a limited listener may accept one more connection (at once while below the limit).</summary>
    internal ValueTask WaitForSlotAsync(CancellationToken cancellationToken) => WaitAsync(take: false, cancellationToken);

    /// <summary>
    /// Takes a slot for <paramref name="connection"/>, which a limited listener accepted, waiting for one when the
    /// other limited listeners took the last while this listener waited in accept; the slot is held until the
    /// connection ends.
    /// </summary>
    internal async ValueTask TakeSlotAsync(ConnectionContext connection, CancellationToken cancellationToken)
    {
        await WaitAsync(take: true, cancellationToken).ConfigureAwait(false);
        // Marks the connection as counted, so the middleware releases exactly the slots that were taken.
        connection.Features.Set(this);
    }

    private async ValueTask WaitAsync(bool take, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task freed;
            lock (_sync)
            {
                if (_open < MaxConnections)
                {
                    if (take)
                    {
                        _open++;
                    }

                    return;
                }

                _slotFreed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                freed = _slotFreed.Task;
            }

            if (_throttle.ShouldLog(0, out var suppressed))
            {
                LogAtLimit(_logger, MaxConnections, suppressed);
            }

            await freed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void Closed()
    {
        TaskCompletionSource? freed = null;
        lock (_sync)
        {
            _open--;
            if (_open < MaxConnections)
            {
                freed = _slotFreed;
                _slotFreed = null;
            }
        }

        freed?.TrySetResult();
    }

    /// <summary>Connection middleware of the limited listeners: frees the connection's slot when it ends, however it ends.</summary>
    private ConnectionDelegate Middleware(ConnectionDelegate next) => async connection =>
    {
        if (!ReferenceEquals(connection.Features.Get<ConnectionLimits>(), this))
        {
            await next(connection).ConfigureAwait(false);
            return;
        }

        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            Closed();
        }
    };
}
