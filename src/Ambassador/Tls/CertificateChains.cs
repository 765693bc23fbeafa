using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Ambassador.Tls;

/// <summary>Verifies a peer certificate against a CA bundle (instead of the system store), for both directions.</summary>
internal static class CertificateChains
{
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    /// <summary>
    /// Builds the peer's chain with only <paramref name="trustedRoots"/> as anchors. Returns null when valid, otherwise a
    /// short reason for the log. Intermediates the peer sent (in <paramref name="peerChain"/>) may be used to link up.
    /// </summary>
    public static string? VerifyAgainst(X509Certificate certificate, X509Chain? peerChain, X509Certificate2Collection trustedRoots, bool serverCertificate)
    {
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trustedRoots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid(serverCertificate ? ServerAuthOid : ClientAuthOid));
        if (peerChain is not null)
        {
            foreach (var element in peerChain.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        if (chain.Build(leaf))
        {
            return null;
        }

        var reasons = chain.ChainStatus
            .Where(s => s.Status != X509ChainStatusFlags.NoError)
            .Select(s => s.Status.ToString())
            .Distinct(StringComparer.Ordinal);
        return string.Join(", ", reasons);
    }

    /// <summary>Describes <paramref name="errors"/> (from the platform's own validation) for a log line.</summary>
    public static string Describe(SslPolicyErrors errors, X509Chain? chain)
    {
        var parts = new List<string>();
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            parts.Add("no certificate presented");
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            parts.Add("certificate is not valid for the host name");
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
        {
            var statuses = chain?.ChainStatus.Where(s => s.Status != X509ChainStatusFlags.NoError).Select(s => s.Status.ToString()).Distinct(StringComparer.Ordinal);
            parts.Add($"chain not trusted ({(statuses is null ? "unknown" : string.Join(", ", statuses))})");
        }

        return string.Join("; ", parts);
    }
}
