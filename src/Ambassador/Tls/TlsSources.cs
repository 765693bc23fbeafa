namespace Ambassador.Tls;

/// <summary>Reads which certificates a configuration asks for, inbound and per cluster.</summary>
internal static class TlsSources
{
    public const string ClustersSection = "ReverseProxy:Clusters";

    /// <summary>Every certificate source named by <paramref name="configuration"/>, complete or not (the validator reports gaps).</summary>
    public static List<CertificateSource> Read(IConfiguration configuration)
    {
        var sources = new List<CertificateSource>();
        var tls = configuration.GetSection(TlsConstants.SectionName);
        var certificatePath = NonEmpty(tls[nameof(TlsOptions.CertificatePath)]);
        var keyPath = NonEmpty(tls[nameof(TlsOptions.KeyPath)]);
        if (certificatePath is not null && keyPath is not null)
        {
            sources.Add(new CertificateSource(
                TlsConstants.InboundName,
                certificatePath,
                $"{TlsConstants.SectionName}:{nameof(TlsOptions.CertificatePath)}",
                keyPath,
                $"{TlsConstants.SectionName}:{nameof(TlsOptions.KeyPath)}"));
        }

        if (certificatePath is not null && NonEmpty(tls[nameof(TlsOptions.ClientCaPath)]) is { } clientCa)
        {
            sources.Add(new CertificateSource(TlsConstants.InboundClientCaName, clientCa, $"{TlsConstants.SectionName}:{nameof(TlsOptions.ClientCaPath)}", null, null));
        }

        foreach (var cluster in configuration.GetSection(ClustersSection).GetChildren())
        {
            var metadata = cluster.GetSection("Metadata");
            var prefix = metadata.Path;
            if (NonEmpty(metadata[UpstreamTlsMetadata.CaPath]) is { } ca)
            {
                sources.Add(new CertificateSource(TlsConstants.UpstreamCaName(cluster.Key), ca, $"{prefix}:{UpstreamTlsMetadata.CaPath}", null, null));
            }

            var clientCertificate = NonEmpty(metadata[UpstreamTlsMetadata.ClientCertificatePath]);
            var clientKey = NonEmpty(metadata[UpstreamTlsMetadata.ClientKeyPath]);
            if (clientCertificate is not null && clientKey is not null)
            {
                sources.Add(new CertificateSource(
                    TlsConstants.UpstreamClientName(cluster.Key),
                    clientCertificate,
                    $"{prefix}:{UpstreamTlsMetadata.ClientCertificatePath}",
                    clientKey,
                    $"{prefix}:{UpstreamTlsMetadata.ClientKeyPath}"));
            }
        }

        return sources;
    }

    public static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
