using System.Security.Authentication;
using Ambassador.Configuration;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Ambassador.Tls;

/// <summary>Fixed limits and names of Ambassador's TLS support (its options are declared in <see cref="TlsOptionTable"/>).</summary>
public static class TlsConstants
{
    /// <summary>The configuration section of inbound TLS: <c>Ambassador:Tls</c>.</summary>
    public const string SectionName = "Ambassador:Tls";

    /// <summary>The only protocol versions Ambassador speaks, in both directions: TLS 1.2 and TLS 1.3.</summary>
    public const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

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

/// <summary>The options of inbound TLS (<c>Ambassador:Tls</c>), declared once.</summary>
internal static class TlsOptionTable
{
    public static readonly StringOption CertificatePath = OptionSpec.String(
        nameof(TlsOptions.CertificatePath), null,
        "PEM file with the server certificate, optionally followed by its chain; setting it turns the TLS listener on.",
        allowed: "use the path of a PEM file");

    public static readonly StringOption KeyPath = OptionSpec.String(
        nameof(TlsOptions.KeyPath), null,
        "PEM file with the unencrypted private key of CertificatePath (PKCS#8, PKCS#1 or SEC1); required with it.",
        allowed: "use the path of a PEM file");

    public static readonly EnumOption<Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode> ClientCertificateMode = OptionSpec.Enum(
        nameof(TlsOptions.ClientCertificateMode), Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.NoCertificate,
        "Whether clients present certificates.",
        Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.NoCertificate,
        Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.AllowCertificate,
        Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.RequireCertificate);

    public static readonly StringOption ClientCaPath = OptionSpec.String(
        nameof(TlsOptions.ClientCaPath), null,
        "PEM bundle of CAs that client certificates must chain to; default: the system store decides.",
        allowed: "use the path of a PEM file");

    public static readonly BooleanOption ForwardClientCertificate = OptionSpec.Bool(
        nameof(TlsOptions.ForwardClientCertificate), false,
        "Send the client certificate's details upstream in X-Forwarded-Client-Cert (a client's own such header is removed).");

    public static readonly DurationOption ReloadInterval = OptionSpec.Duration(
        nameof(TlsOptions.ReloadInterval), TimeSpan.FromSeconds(2), min: TimeSpan.Zero, max: null, minExclusive: true,
        doc: "How often certificate files (inbound and upstream) are checked for changes.");

    public static readonly OptionSection Section = new(
        TlsConstants.SectionName, "Inbound TLS on the TLS proxy listener; upstream TLS is set per cluster in its Metadata.",
        CertificatePath, KeyPath, ClientCertificateMode, ClientCaPath, ForwardClientCertificate, ReloadInterval);
}

/// <summary>
/// Inbound TLS, section <c>Ambassador:Tls</c>; declared in <see cref="TlsOptionTable"/>. The TLS proxy listener is on
/// exactly when <see cref="CertificatePath"/> is set.
/// </summary>
public sealed class TlsOptions
{
    /// <summary>See <see cref="TlsOptionTable.CertificatePath"/>.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>See <see cref="TlsOptionTable.KeyPath"/>.</summary>
    public string? KeyPath { get; set; }

    /// <summary>See <see cref="TlsOptionTable.ClientCertificateMode"/>.</summary>
    public ClientCertificateMode ClientCertificateMode { get; set; } = TlsOptionTable.ClientCertificateMode.Default;

    /// <summary>See <see cref="TlsOptionTable.ClientCaPath"/>.</summary>
    public string? ClientCaPath { get; set; }

    /// <summary>See <see cref="TlsOptionTable.ForwardClientCertificate"/>.</summary>
    public bool ForwardClientCertificate { get; set; } = TlsOptionTable.ForwardClientCertificate.Default;

    /// <summary>See <see cref="TlsOptionTable.ReloadInterval"/>.</summary>
    public TimeSpan ReloadInterval { get; set; } = TlsOptionTable.ReloadInterval.Default;
}
