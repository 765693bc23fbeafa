using System.Security.Cryptography;
using Ambassador.Tls;

namespace Ambassador.Tests.Tls;

public sealed class PemCertificateLoaderTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ambassador-pem-unit-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Load_EncryptedKey_NamesKeyAndSaysHowToFix()
    {
        var now = DateTimeOffset.UtcNow;
        var (certificate, keyPath) = TestPem.Write(_directory, "server", TestPem.Create("CN=server", now.AddDays(-1), now.AddDays(1)));
        using (var key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            File.WriteAllText(keyPath, key.ExportEncryptedPkcs8PrivateKeyPem("secret", new PbeParameters(PbeEncryptionAlgorithm.Aes128Cbc, HashAlgorithmName.SHA256, 1000)));
        }

        var ex = Assert.Throws<CertificateLoadException>(() => PemCertificateLoader.Load(Source(certificate, keyPath)));

        Assert.Equal("K:Key", ex.Key);
        Assert.Equal($"'{keyPath}' holds an encrypted private key; decrypt it (openssl pkey -in key.pem -out plain.pem)", ex.Message);
    }

    [Fact]
    public void Load_NoCertificateInFile_NamesCertificateKey()
    {
        var path = Path.Combine(_directory, "empty.pem");
        File.WriteAllText(path, "hello");

        var ex = Assert.Throws<CertificateLoadException>(() => PemCertificateLoader.Load(Source(path, null)));

        Assert.Equal("K:Cert", ex.Key);
        Assert.Equal($"'{path}' holds no PEM certificate; use a PEM file with -----BEGIN CERTIFICATE----- blocks", ex.Message);
    }

    [Fact]
    public void Load_MissingFile_NamesKey()
    {
        var path = Path.Combine(_directory, "nope.pem");

        var ex = Assert.Throws<CertificateLoadException>(() => PemCertificateLoader.Load(Source(path, null)));

        Assert.Equal("K:Cert", ex.Key);
        Assert.Equal($"file '{path}' not found; use the path of a readable PEM file", ex.Message);
    }

    [Fact]
    public void Load_Bundle_ReportsEarliestExpiry()
    {
        var now = new DateTimeOffset(DateTimeOffset.UtcNow.Year, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var early = TestPem.Create("CN=early", now.AddDays(-1), now.AddDays(30));
        var late = TestPem.Create("CN=late", now.AddDays(-1), now.AddDays(300));
        var path = Path.Combine(_directory, "bundle.pem");
        File.WriteAllText(path, late.ExportCertificatePem() + "\n" + early.ExportCertificatePem());

        var loaded = PemCertificateLoader.Load(Source(path, null));

        Assert.Equal(2, loaded.Certificates.Count);
        Assert.Equal(now.AddDays(30), loaded.NotAfter);
    }

    private static CertificateSource Source(string certificate, string? key) =>
        new("test", certificate, "K:Cert", key, key is null ? null : "K:Key");
}
