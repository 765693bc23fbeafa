using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ambassador.FunctionalTests.Tls;

/// <summary>Throwaway CAs and certificates made at test time (ECDSA P-256, fast to generate), written as PEM files.</summary>
public sealed class TestCertificates : IDisposable
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");
    private int _serial = 1;

    public TestCertificates() => Directory = System.IO.Directory.CreateTempSubdirectory("ambassador-tls-").FullName;

    public string Directory { get; }

    /// <summary>A self-signed CA valid from yesterday for a year.</summary>
    public static X509Certificate2 CreateCa(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddYears(-1), now.AddYears(1));
    }

    /// <summary>An intermediate CA (with its key) issued by <paramref name="root"/>.</summary>
    public X509Certificate2 CreateIntermediate(X509Certificate2 root, string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, true, false));
        var now = DateTimeOffset.UtcNow;
        var serial = BitConverter.GetBytes(Interlocked.Increment(ref _serial) + Environment.TickCount64);
        using var issued = request.Create(root, now.AddDays(-30), now.AddDays(300), serial);
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>A server certificate for localhost / 127.0.0.1 (plus <paramref name="dnsNames"/>) issued by <paramref name="ca"/>.</summary>
    public X509Certificate2 IssueServer(X509Certificate2 ca, string name = "localhost", DateTimeOffset? notAfter = null, params string[] dnsNames) =>
        Issue(ca, name, ServerAuth, notAfter, dnsNames.Length == 0 ? ["localhost"] : dnsNames, includeLoopbackIp: dnsNames.Length == 0);

    /// <summary>A client certificate (clientAuth) issued by <paramref name="ca"/>, with a SPIFFE-style URI name.</summary>
    public X509Certificate2 IssueClient(X509Certificate2 ca, string name, DateTimeOffset? notAfter = null) =>
        Issue(ca, name, ClientAuth, notAfter, [], includeLoopbackIp: false, uri: new Uri($"spiffe://test/{name}"));

    /// <summary>Writes the certificate (and its key) as PEM; returns both paths.</summary>
    public (string CertificatePath, string KeyPath) Write(X509Certificate2 certificate, string name)
    {
        var certificatePath = Path.Combine(Directory, name + ".crt.pem");
        var keyPath = Path.Combine(Directory, name + ".key.pem");
        WriteAtomically(certificatePath, certificate.ExportCertificatePem() + "\n");
        if (certificate.HasPrivateKey)
        {
            using var key = certificate.GetECDsaPrivateKey()!;
            WriteAtomically(keyPath, key.ExportPkcs8PrivateKeyPem() + "\n");
        }

        return (certificatePath, keyPath);
    }

    /// <summary>Writes the certificate followed by <paramref name="chain"/> (a PEM chain file) and its key.</summary>
    public (string CertificatePath, string KeyPath) WriteWithChain(X509Certificate2 certificate, string name, params X509Certificate2[] chain)
    {
        var (certificatePath, keyPath) = Write(certificate, name);
        WriteAtomically(certificatePath, certificate.ExportCertificatePem() + "\n" + string.Concat(chain.Select(c => c.ExportCertificatePem() + "\n")));
        return (certificatePath, keyPath);
    }

    /// <summary>Overwrites existing PEM files with another certificate (as a rotation would).</summary>
    public static void Overwrite(X509Certificate2 certificate, string certificatePath, string keyPath)
    {
        using var key = certificate.GetECDsaPrivateKey()!;
        WriteAtomically(keyPath, key.ExportPkcs8PrivateKeyPem() + "\n");
        WriteAtomically(certificatePath, certificate.ExportCertificatePem() + "\n");
    }

    public static void WriteAtomically(string path, string contents)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, contents);
        File.Move(temp, path, overwrite: true);
    }

    public static string Sha256(X509Certificate certificate) => certificate.GetCertHashString(HashAlgorithmName.SHA256);

    /// <summary>A validation callback that trusts exactly <paramref name="ca"/>.</summary>
    public static RemoteCertificateValidationCallback TrustOnly(X509Certificate2 ca) => (_, certificate, _, errors) =>
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            return false;
        }

        return ChainsTo(certificate, null, ca);
    };

    /// <summary>True when <paramref name="certificate"/> chains to <paramref name="root"/> using only what the peer sent.</summary>
    public static bool ChainsTo(X509Certificate certificate, X509Chain? peerChain, X509Certificate2 root)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (peerChain is not null)
        {
            foreach (var element in peerChain.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(leaf);
    }

    /// <summary>An HttpClient for the TLS listener that trusts only <paramref name="ca"/>, optionally presenting a client certificate.</summary>
    public static HttpClient CreateClient(Uri baseAddress, X509Certificate2 ca, X509Certificate2? clientCertificate = null)
    {
        var handler = new SocketsHttpHandler
        {
            SslOptions =
            {
                RemoteCertificateValidationCallback = TrustOnly(ca),
                EnabledSslProtocols = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13,
            },
            PooledConnectionLifetime = TimeSpan.Zero,
        };
        if (clientCertificate is not null)
        {
            handler.SslOptions.ClientCertificates = [clientCertificate];
        }

        return new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private X509Certificate2 Issue(X509Certificate2 ca, string name, Oid usage, DateTimeOffset? notAfter, string[] dnsNames, bool includeLoopbackIp, Uri? uri = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
        var san = new SubjectAlternativeNameBuilder();
        foreach (var dns in dnsNames)
        {
            san.AddDnsName(dns);
        }

        if (includeLoopbackIp)
        {
            san.AddIpAddress(IPAddress.Loopback);
        }

        if (uri is not null)
        {
            san.AddUri(uri);
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var now = DateTimeOffset.UtcNow;
        var end = notAfter ?? now.AddDays(90);
        var start = end < now ? end.AddDays(-30) : now.AddDays(-1);
        var serial = BitConverter.GetBytes(Interlocked.Increment(ref _serial) + Environment.TickCount64);
        using var issued = request.Create(ca, start, end, serial);
        return issued.CopyWithPrivateKey(key);
    }
}
