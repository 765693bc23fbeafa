using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Options;

namespace Ambassador.Tls;

/// <summary>
/// Per-connection TLS settings of the TLS proxy listener: the current certificate from the store (so a reloaded file is
/// used by the next handshake), TLS 1.2/1.3 only, ALPN h2 + http/1.1, and optional client certificates.
/// </summary>
internal sealed partial class InboundTlsHandshake(TlsCertificateStore store, IOptionsMonitor<TlsOptions> options, ILogger<InboundTlsHandshake> logger)
{
    private static readonly List<SslApplicationProtocol> Alpn = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11];

    /// <summary>Turns <paramref name="listen"/> into the TLS proxy listener (HTTP/1.1 and HTTP/2 negotiated by ALPN).</summary>
    public static void ConfigureListener(ListenOptions listen)
    {
        // Resolved at the first handshake: building the host (also done by `Ambassador validate`) must not load certificates.
        var services = listen.ApplicationServices;
        InboundTlsHandshake? handshake = null;
        listen.Protocols = HttpProtocols.Http1AndHttp2;
        listen.UseHttps(new TlsHandshakeCallbackOptions
        {
            OnConnection = context => (handshake ??= services.GetRequiredService<InboundTlsHandshake>()).OnConnection(context),
            HandshakeTimeout = TlsConstants.HandshakeTimeout,
        });
    }

    public ValueTask<SslServerAuthenticationOptions> OnConnection(TlsHandshakeCallbackContext context)
    {
        var certificate = store.Get(TlsConstants.InboundName)
            ?? throw new InvalidOperationException("No inbound TLS certificate is loaded (see the earlier certificate errors).");
        var mode = options.CurrentValue.ClientCertificateMode;
        return ValueTask.FromResult(new SslServerAuthenticationOptions
        {
            ServerCertificateContext = certificate.Context,
            EnabledSslProtocols = TlsConstants.Protocols,
            ApplicationProtocols = Alpn,
            ClientCertificateRequired = mode is ClientCertificateMode.AllowCertificate or ClientCertificateMode.RequireCertificate,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = mode == ClientCertificateMode.NoCertificate ? null : ValidateClientCertificate,
        });
    }

    private bool ValidateClientCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            if (options.CurrentValue.ClientCertificateMode == ClientCertificateMode.RequireCertificate)
            {
                LogClientCertificateRejected(logger, "(none)", "no client certificate presented; ClientCertificateMode is RequireCertificate");
                return false;
            }

            return true;
        }

        string? problem;
        if (store.Get(TlsConstants.InboundClientCaName) is { } bundle)
        {
            problem = CertificateChains.VerifyAgainst(certificate, chain, bundle.Certificates, serverCertificate: false);
        }
        else
        {
            // Without a CA bundle the system store decides; a client certificate has no host name to match.
            var remaining = errors & ~SslPolicyErrors.RemoteCertificateNameMismatch;
            problem = remaining == SslPolicyErrors.None ? null : CertificateChains.Describe(remaining, chain);
        }

        if (problem is not null)
        {
            LogClientCertificateRejected(logger, certificate.Subject, problem);
            return false;
        }

        return true;
    }

    [LoggerMessage(EventId = 520, EventName = "TlsClientCertificateRejected", Level = LogLevel.Warning,
        Message = "Inbound TLS handshake refused: client certificate '{Subject}' rejected: {Problem}")]
    private static partial void LogClientCertificateRejected(ILogger logger, string subject, string problem);
}
