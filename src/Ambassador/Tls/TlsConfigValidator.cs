using System.Security.Authentication;
using Ambassador.Configuration;

namespace Ambassador.Tls;

/// <summary>
/// Validates <c>Ambassador:Tls</c> and the upstream TLS metadata of every cluster: files exist, are readable PEM,
/// keys match their certificates. An expired certificate is not an error (it is logged and measured instead), so a
/// sidecar with a stale certificate still starts and says why peers reject it.
/// </summary>
internal sealed class TlsConfigValidator : IConfigValidationContributor
{
    public void Validate(IConfiguration candidate, ConfigProblems problems)
    {
        var tls = candidate.GetSection(TlsConstants.SectionName);
        var prefix = TlsConstants.SectionName;
        var certificatePath = TlsSources.NonEmpty(tls[nameof(TlsOptions.CertificatePath)]);
        var keyPath = TlsSources.NonEmpty(tls[nameof(TlsOptions.KeyPath)]);
        if (certificatePath is not null && keyPath is null)
        {
            problems.Add($"{prefix}:{nameof(TlsOptions.KeyPath)}", $"is missing but {prefix}:{nameof(TlsOptions.CertificatePath)} is set", "use the path of the certificate's PEM private key file");
            CheckCertificateOnly(certificatePath, $"{prefix}:{nameof(TlsOptions.CertificatePath)}", problems);
        }

        if (certificatePath is null)
        {
            foreach (var key in (string[])[nameof(TlsOptions.KeyPath), nameof(TlsOptions.ClientCaPath)])
            {
                if (TlsSources.NonEmpty(tls[key]) is not null)
                {
                    problems.Add($"{prefix}:{key}", $"has no effect without {prefix}:{nameof(TlsOptions.CertificatePath)} (the TLS listener is off)", $"set {prefix}:{nameof(TlsOptions.CertificatePath)} or remove this key");
                }
            }
        }

        foreach (var cluster in candidate.GetSection(TlsSources.ClustersSection).GetChildren())
        {
            ValidateCluster(cluster, problems);
        }

        foreach (var source in TlsSources.Read(candidate))
        {
            try
            {
                PemCertificateLoader.Load(source);
            }
            catch (CertificateLoadException ex)
            {
                problems.Add(ex.Key, ex.Message);
            }
            catch (System.Security.Cryptography.CryptographicException ex)
            {
                problems.Add(source.CertificateKey, $"'{source.CertificatePath}' cannot be used ({ex.Message})", "use a PEM certificate the platform can load");
            }
        }
    }

    /// <summary>Without its key a certificate cannot be fully checked; still report a missing or non-PEM file now.</summary>
    private static void CheckCertificateOnly(string path, string key, ConfigProblems problems)
    {
        try
        {
            PemCertificateLoader.Load(new CertificateSource("check", path, key, null, null));
        }
        catch (CertificateLoadException ex)
        {
            problems.Add(ex.Key, ex.Message);
        }
    }

    private static void ValidateCluster(IConfigurationSection cluster, ConfigProblems problems)
    {
        var metadata = cluster.GetSection("Metadata");
        var certificate = TlsSources.NonEmpty(metadata[UpstreamTlsMetadata.ClientCertificatePath]);
        var key = TlsSources.NonEmpty(metadata[UpstreamTlsMetadata.ClientKeyPath]);
        if (certificate is not null && key is null)
        {
            problems.Add($"{metadata.Path}:{UpstreamTlsMetadata.ClientKeyPath}", $"is missing but {UpstreamTlsMetadata.ClientCertificatePath} is set", "use the path of the client certificate's PEM private key file");
            CheckCertificateOnly(certificate, $"{metadata.Path}:{UpstreamTlsMetadata.ClientCertificatePath}", problems);
        }
        else if (certificate is null && key is not null)
        {
            problems.Add($"{metadata.Path}:{UpstreamTlsMetadata.ClientCertificatePath}", $"is missing but {UpstreamTlsMetadata.ClientKeyPath} is set", "use the path of the PEM client certificate the key belongs to");
        }

        var sni = metadata[UpstreamTlsMetadata.Sni];
        if (sni is not null && Uri.CheckHostName(sni.Trim()) is not (UriHostNameType.Dns or UriHostNameType.IPv4 or UriHostNameType.IPv6))
        {
            problems.Add($"{metadata.Path}:{UpstreamTlsMetadata.Sni}", $"'{sni}' is not a host name", "use a DNS name or IP address, e.g. inventory.internal");
        }

        if ((sni is not null || certificate is not null) && cluster["HttpClient:WebProxy:Address"] is not null)
        {
            // SNI overrides and client certificates make their own connections, which would bypass the forward proxy.
            problems.Add($"{cluster.Path}:HttpClient:WebProxy", $"cannot be combined with Metadata:{UpstreamTlsMetadata.Sni} or Metadata:{UpstreamTlsMetadata.ClientCertificatePath}", "remove one of them");
        }

        var protocols = cluster.GetSection("HttpClient:SslProtocols");
        var values = protocols.Value is { } single ? [single] : protocols.GetChildren().Select(c => c.Value ?? string.Empty).ToArray();
        foreach (var value in values)
        {
            foreach (var part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!Enum.TryParse<SslProtocols>(part, ignoreCase: true, out var protocol) || (protocol & ~TlsConstants.Protocols) != 0 || protocol == SslProtocols.None)
                {
                    problems.Add(protocols.Path, $"'{part}' is not allowed", "use Tls12 or Tls13 (Ambassador speaks only these)");
                }
            }
        }
    }
}
