using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Yarp.ReverseProxy.Forwarder;

namespace Ambassador.Tls;

/// <summary>
/// YARP's client factory with Ambassador's upstream TLS: TLS 1.2+ only, server certificates verified against the
/// cluster's <c>CaPath</c> bundle (or the system store), the cluster's client certificate for mTLS, and an optional SNI
/// override. Certificates are looked up in <see cref="TlsCertificateStore"/> at each handshake, so a reloaded file is
/// used by the next new connection without rebuilding the client.
/// </summary>
internal sealed partial class UpstreamTlsHttpClientFactory(
    IServiceProvider services,
    ILogger<ForwarderHttpClientFactory> baseLogger,
    ILogger<UpstreamTlsHttpClientFactory> logger) : ForwarderHttpClientFactory(baseLogger)
{
    private TlsCertificateStore? _store;

    // Resolved at the first handshake, not when YARP builds clients: `Ambassador validate` builds clients too
    // and must not load (and log) every certificate a second time.
    private TlsCertificateStore Store => _store ??= services.GetRequiredService<TlsCertificateStore>();

    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        var clusterId = context.ClusterId;
        var ssl = handler.SslOptions;
        if (ssl.EnabledSslProtocols == SslProtocols.None)
        {
            ssl.EnabledSslProtocols = TlsConstants.Protocols;
        }

        ssl.CertificateRevocationCheckMode = X509RevocationMode.NoCheck;
        if (context.NewConfig.DangerousAcceptAnyServerCertificate == true)
        {
            // YARP's base already installed an accept-all callback: the user asked for it explicitly.
            LogAcceptsAnyCertificate(logger, clusterId);
        }
        else
        {
            ssl.RemoteCertificateValidationCallback = (sender, certificate, chain, errors) => ValidateServer(clusterId, sender, certificate, chain, errors);
        }

        var sni = SniOf(context.NewMetadata);
        var withClientCertificate = HasClientCertificate(context.NewMetadata);
        if (sni is not null || withClientCertificate)
        {
            // Our own handshake per connection: .NET takes SNI from the Host header (an override needs this), and a
            // client certificate's intermediates are sent only through a certificate context, which SslOptions
            // would fix at client creation (a reload could not change it).
            if (withClientCertificate && handler.PooledConnectionLifetime == Timeout.InfiniteTimeSpan)
            {
                handler.PooledConnectionLifetime = TlsConstants.ClientCertificateConnectionLifetime;
            }

            var protocols = ssl.EnabledSslProtocols;
            var validate = ssl.RemoteCertificateValidationCallback;
            var clientName = withClientCertificate ? TlsConstants.UpstreamClientName(clusterId) : null;
            handler.ConnectCallback = (connection, cancellationToken) =>
                ConnectAsync(connection, sni, protocols, validate, clientName is null ? null : Store.Get(clientName)?.Context, cancellationToken);
        }
    }

    protected override bool CanReuseOldClient(ForwarderHttpClientContext context) =>
        base.CanReuseOldClient(context)
        && SniOf(context.OldMetadata) == SniOf(context.NewMetadata)
        && HasClientCertificate(context.OldMetadata) == HasClientCertificate(context.NewMetadata);

    private static async ValueTask<Stream> ConnectAsync(
        SocketsHttpConnectionContext connection,
        string? sni,
        SslProtocols protocols,
        RemoteCertificateValidationCallback? validate,
        SslStreamCertificateContext? clientCertificate,
        CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(connection.DnsEndPoint, cancellationToken).ConfigureAwait(false);
            var network = new NetworkStream(socket, ownsSocket: true);
            if (connection.InitialRequestMessage.RequestUri?.Scheme != Uri.UriSchemeHttps)
            {
                return network;
            }

            var tls = new SslStream(network, leaveInnerStreamOpen: false);
            try
            {
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = sni ?? TargetHostOf(connection),
                    EnabledSslProtocols = protocols,
                    RemoteCertificateValidationCallback = validate,
                    ClientCertificateContext = clientCertificate,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                    ApplicationProtocols = connection.InitialRequestMessage.Version.Major >= 2
                        ? [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11]
                        : [SslApplicationProtocol.Http11],
                }, cancellationToken).ConfigureAwait(false);
                return tls;
            }
            catch
            {
                await tls.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private bool ValidateServer(string clusterId, object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        var host = (sender as SslStream)?.TargetHostName ?? "?";
        string? problem;
        if (certificate is null)
        {
            problem = "the server presented no certificate";
        }
        else if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            problem = $"certificate '{certificate.Subject}' is not valid for the name '{host}'";
        }
        else if (Store.Get(TlsConstants.UpstreamCaName(clusterId)) is { } bundle)
        {
            var chainProblem = CertificateChains.VerifyAgainst(certificate, chain, bundle.Certificates, serverCertificate: true);
            problem = chainProblem is null
                ? null
                : $"certificate '{certificate.Subject}' is not issued by a CA in {TlsSources.ClustersSection}:{clusterId}:Metadata:{UpstreamTlsMetadata.CaPath} ({chainProblem})";
        }
        else
        {
            problem = errors == SslPolicyErrors.None
                ? null
                : $"certificate '{certificate.Subject}': {CertificateChains.Describe(errors, chain)}; it was verified against the system store (set {TlsSources.ClustersSection}:{clusterId}:Metadata:{UpstreamTlsMetadata.CaPath} for a private CA)";
        }

        if (problem is not null)
        {
            LogServerCertificateRejected(logger, clusterId, host, problem);
        }

        return problem is null;
    }

    /// <summary>What .NET itself would use: the request's Host header (YARP's destination Host), else the destination host.</summary>
    private static string TargetHostOf(SocketsHttpConnectionContext connection)
    {
        var host = connection.InitialRequestMessage.Headers.Host;
        return !string.IsNullOrEmpty(host) && Uri.TryCreate("https://" + host, UriKind.Absolute, out var uri) ? uri.IdnHost : connection.DnsEndPoint.Host;
    }

    private static string? SniOf(IReadOnlyDictionary<string, string>? metadata) =>
        metadata is not null && metadata.TryGetValue(UpstreamTlsMetadata.Sni, out var sni) ? TlsSources.NonEmpty(sni) : null;

    private static bool HasClientCertificate(IReadOnlyDictionary<string, string>? metadata) =>
        metadata is not null && metadata.TryGetValue(UpstreamTlsMetadata.ClientCertificatePath, out var path) && TlsSources.NonEmpty(path) is not null;

    [LoggerMessage(EventId = 530, EventName = "UpstreamTlsAcceptsAnyCertificate", Level = LogLevel.Warning,
        Message = "Cluster '{ClusterId}' accepts ANY upstream server certificate (HttpClient:DangerousAcceptAnyServerCertificate is true): its traffic can be intercepted; use this only for testing")]
    private static partial void LogAcceptsAnyCertificate(ILogger logger, string clusterId);

    [LoggerMessage(EventId = 531, EventName = "UpstreamTlsCertificateRejected", Level = LogLevel.Warning,
        Message = "Upstream TLS handshake for cluster '{ClusterId}' to '{Host}' refused: {Problem}")]
    private static partial void LogServerCertificateRejected(ILogger logger, string clusterId, string host, string problem);
}
