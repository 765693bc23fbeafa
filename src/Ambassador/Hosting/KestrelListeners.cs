using Ambassador.Tls;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Ambassador.Hosting;

/// <summary>
/// Kestrel's listeners, from the validated <see cref="ListenerOptions"/> and <see cref="TlsOptions"/>. Kestrel's
/// options exist as soon as the application is built, before the configuration is validated; the listeners are added
/// to them when the host starts (before Kestrel binds), from what validation accepted. Changing a listener needs a restart.
/// </summary>
internal sealed class KestrelListeners(
    IOptions<KestrelServerOptions> kestrel,
    IOptionsMonitor<ListenerOptions> listeners,
    IOptionsMonitor<TlsOptions> tls,
    ListenerRegistry registry,
    Configuration.ConfigGate gate) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        var server = kestrel.Value;
        var addresses = listeners.CurrentValue;
        var h2c = new H2cPriorKnowledge(registry, server);
        var limits = ConnectionLimits.Apply(server, gate.Validated);
        Listen(server, addresses.Proxy, (options, localhost) =>
        {
            // HTTP/1.1, plus HTTP/2 with prior knowledge spliced to the internal h2c listener (gRPC over h2c).
            options.Protocols = HttpProtocols.Http1;
            limits.Limit(options, localhost);
            options.Use(h2c.Middleware);
            options.Use(RequestFramingScanner.Middleware);
            registry.Add(ListenerNames.Proxy, options);
        });
        server.Listen(System.Net.IPAddress.Loopback, 0, options =>
        {
            options.Protocols = HttpProtocols.Http2;
            registry.Add(ListenerNames.ProxyH2c, options);
        });
        if (!string.IsNullOrWhiteSpace(tls.CurrentValue.CertificatePath))
        {
            // Same proxy routes as the proxy listener, HTTP/1.1 + HTTP/2 by ALPN, certificate from the reloading store.
            Listen(server, addresses.ProxyTls, (options, localhost) =>
            {
                limits.Limit(options, localhost);
                InboundTlsHandshake.ConfigureListener(options);
                options.Use(RequestFramingScanner.Middleware);
                registry.Add(ListenerNames.ProxyTls, options);
            });
        }

        // Same proxy routes over a Unix socket (the app's user reaches it without a TCP port); its mode is set once bound.
        UnixSocketListener.Listen(server, addresses.ProxyUnixSocket, registry, h2c, limits);

        Listen(server, addresses.Admin, (options, _) =>
        {
            options.Protocols = HttpProtocols.Http1;
            registry.Add(ListenerNames.Admin, options);
        });
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Adds a listener; <paramref name="configure"/> is told whether it is bound as localhost (both loopbacks).</summary>
    private static void Listen(KestrelServerOptions kestrel, string url, Action<ListenOptions, bool> configure)
    {
        // Validation accepted the URL (HostOptionTable), so it parses.
        var address = ListenerAddress.Parse(url) ?? throw new InvalidOperationException($"'{url}' is not a listener URL.");
        if (address.IsLocalhost)
        {
            kestrel.ListenLocalhost(address.Port, options => configure(options, true));
        }
        else
        {
            kestrel.Listen(address.Address!, address.Port, options => configure(options, false));
        }
    }
}
