using System.Security.Authentication;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Ambassador.Tls;

/// <summary>Defaults and fixed limits of Ambassador's TLS support.</summary>
public static class TlsConstants
{
    /// <summary>The configuration section of inbound TLS: <c>Ambassador:Tls</c>.</summary>
    public const string SectionName = "Ambassador:Tls";

    /// <summary>The only protocol versions Ambassador speaks, in both directions: TLS 1.2 and TLS 1.3.</summary>
    public const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>Default interval between checks of certificate files for changes: 2 seconds.</summary>
    public static readonly TimeSpan DefaultReloadInterval = TimeSpan.FromSeconds(2);

    /// <summary>A certificate closer than this to its expiry is logged as a warning: 14 days.</summary>
    public static readonly TimeSpan ExpiryWarningThreshold = TimeSpan.FromDays(14);

    /// <summary>How often the expiry warning is repeated for a certificate that stays close to expiry: 1 day.</summary>
    public static readonly TimeSpan ExpiryWarningRepeat = TimeSpan.FromDays(1);

    /// <summary>
    /// Lifetime of pooled upstream connections of clusters with a client certificate: 5 minutes. Bounds how long a
    /// rotated-out client certificate stays in use on long-lived (HTTP/2) connections; new connections use the new one at once.
    /// </summary>
    public static readonly TimeSpan ClientCertificateConnectionLifetime = TimeSpan.FromMinutes(5);

    /// <summary>Limit on one inbound TLS handshake: 10 seconds (Kestrel's default).</summary>
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The header that carries client-certificate details upstream (Envoy's name and format).</summary>
    public const string ClientCertificateHeader = "X-Forwarded-Client-Cert";

    /// <summary>Certificate name (metric label, admin key) of the inbound server certificate.</summary>
    public const string InboundName = "inbound";

    /// <summary>Certificate name of the inbound client CA bundle.</summary>
    public const string InboundClientCaName = "inbound:client-ca";

    /// <summary>Certificate name of a cluster's upstream CA bundle.</summary>
    public static string UpstreamCaName(string clusterId) => $"upstream:{clusterId}:ca";

    /// <summary>Certificate name of a cluster's upstream client certificate.</summary>
    public static string UpstreamClientName(string clusterId) => $"upstream:{clusterId}:client";
}

/// <summary>Cluster metadata keys (<c>ReverseProxy:Clusters:&lt;id&gt;:Metadata:&lt;key&gt;</c>) that configure upstream TLS.</summary>
public static class UpstreamTlsMetadata
{
    /// <summary>PEM bundle of CA certificates trusted for this cluster's https destinations instead of the system store.</summary>
    public const string CaPath = "CaPath";

    /// <summary>PEM client certificate (chain) presented to the cluster's destinations (mTLS).</summary>
    public const string ClientCertificatePath = "ClientCertificatePath";

    /// <summary>PEM private key of <see cref="ClientCertificatePath"/>.</summary>
    public const string ClientKeyPath = "ClientKeyPath";

    /// <summary>Server name sent in SNI and verified in the upstream certificate. Default: the destination's host.</summary>
    public const string Sni = "Sni";
}

/// <summary>Inbound TLS, section <c>Ambassador:Tls</c>. The TLS proxy listener is on exactly when <see cref="CertificatePath"/> is set.</summary>
public sealed class TlsOptions
{
    /// <summary>PEM file with the server certificate, optionally followed by its intermediate chain. Default: none (TLS listener off).</summary>
    public string? CertificatePath { get; set; }

    /// <summary>PEM file with the unencrypted private key of <see cref="CertificatePath"/> (PKCS#8, PKCS#1 or SEC1). Required with it.</summary>
    public string? KeyPath { get; set; }

    /// <summary>Whether clients present certificates: <c>NoCertificate</c> (default), <c>AllowCertificate</c> or <c>RequireCertificate</c>.</summary>
    public ClientCertificateMode ClientCertificateMode { get; set; } = ClientCertificateMode.NoCertificate;

    /// <summary>PEM bundle of CAs that client certificates must chain to. Default: none (the system store decides).</summary>
    public string? ClientCaPath { get; set; }

    /// <summary>
    /// When true, the client certificate's details are sent upstream in <c>X-Forwarded-Client-Cert</c> and any such header
    /// sent by the client is removed. Default false (the header is left alone).
    /// </summary>
    public bool ForwardClientCertificate { get; set; }

    /// <summary>How often certificate files (inbound and upstream) are checked for changes. Default 00:00:02.</summary>
    public TimeSpan ReloadInterval { get; set; } = TlsConstants.DefaultReloadInterval;
}
