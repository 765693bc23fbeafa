using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace Ambassador.FunctionalTests.Tls;

/// <summary>
/// A tiny HTTPS upstream on 127.0.0.1:0 (Kestrel) that answers every request with what it saw of the TLS
/// handshake: <c>sni=&lt;name&gt; client=&lt;sha256 or none&gt;</c>. Each response closes the connection, so every
/// request is a new handshake (certificate reloads are visible at once).
/// </summary>
public sealed class TlsUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TlsUpstream(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>Starts the upstream; with <paramref name="clientRoot"/>, client certificates must chain to it using only what the client sent.</summary>
    public static async Task<TlsUpstream> StartAsync(X509Certificate2 serverCertificate, bool requireClientCertificate = false, X509Certificate2? clientRoot = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            // HTTP/1.1 only: "Connection: close" ends each connection, so every request is a fresh handshake.
            listen.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1;
            listen.UseHttps(https =>
        {
            https.ServerCertificateSelector = (connection, name) =>
            {
                connection!.Items["sni"] = name;
                return serverCertificate;
            };
            https.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
            https.ClientCertificateMode = requireClientCertificate ? ClientCertificateMode.RequireCertificate : ClientCertificateMode.AllowCertificate;
            if (clientRoot is null)
            {
                https.AllowAnyClientCertificate();
            }
            else
            {
                https.ClientCertificateValidation = (certificate, chain, _) => TestCertificates.ChainsTo(certificate, chain, clientRoot);
            }
        });
        }));
        var app = builder.Build();
        app.Run(async context =>
        {
            var sni = context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue("sni", out var name) == true ? name as string : null;
            var client = context.Connection.ClientCertificate;
            context.Response.Headers.Connection = "close";
            await context.Response.WriteAsync($"sni={(string.IsNullOrEmpty(sni) ? "none" : sni)} client={(client is null ? "none" : TestCertificates.Sha256(client))}");
        });
        await app.StartAsync();
        var address = new Uri(app.Urls.First());
        return new TlsUpstream(app, address);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token);
        await _app.DisposeAsync();
    }
}
