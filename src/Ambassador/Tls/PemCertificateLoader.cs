using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ambassador.Tls;

/// <summary>A certificate (with key) or a CA bundle loaded from PEM files.</summary>
/// <param name="Leaf">The certificate itself (with its private key), or for a bundle the first certificate.</param>
/// <param name="Certificates">Every certificate of the file: the leaf and its chain, or every CA of a bundle.</param>
/// <param name="Context">For a certificate with a key: the handshake context, which sends the chain from the file with it.</param>
/// <param name="NotAfter">The earliest expiry of the certificates that matter (the leaf, or any CA of a bundle).</param>
/// <param name="Fingerprint">Hash of the file contents it was loaded from, to notice changes.</param>
internal sealed record LoadedCertificate(
    X509Certificate2 Leaf,
    X509Certificate2Collection Certificates,
    SslStreamCertificateContext? Context,
    DateTimeOffset NotAfter,
    string Fingerprint)
{
    /// <summary>SHA-256 of the leaf, as shown in admin output and logs (never anything secret).</summary>
    public string Thumbprint => Leaf.GetCertHashString(HashAlgorithmName.SHA256);
}

/// <summary>Where one certificate comes from: the files and the configuration keys that named them.</summary>
/// <param name="Name">Bounded name used as metric label and admin key (<c>inbound</c>, <c>upstream:api:client</c>).</param>
/// <param name="CertificatePath">The PEM certificate or bundle file.</param>
/// <param name="CertificateKey">The configuration key that holds <paramref name="CertificatePath"/>.</param>
/// <param name="KeyPath">The PEM private key file, or null for a CA bundle.</param>
/// <param name="KeyKey">The configuration key that holds <paramref name="KeyPath"/>.</param>
internal sealed record CertificateSource(string Name, string CertificatePath, string CertificateKey, string? KeyPath, string? KeyKey);

/// <summary>A certificate could not be loaded; <see cref="Key"/> names the configuration key at fault.</summary>
internal sealed class CertificateLoadException(string key, string message) : Exception(message)
{
    public string Key { get; } = key;
}

/// <summary>Loads PEM certificates, chains, keys and CA bundles, with errors that name the configuration key and never the key material.</summary>
internal static class PemCertificateLoader
{
    private const string PemCertificateHint = "use a PEM file with -----BEGIN CERTIFICATE----- blocks";

    /// <summary>Reads and hashes the files of <paramref name="source"/> without parsing them (cheap change detection).</summary>
    public static (string CertificatePem, string? KeyPem, string Fingerprint) Read(CertificateSource source)
    {
        var certificatePem = ReadText(source.CertificatePath, source.CertificateKey);
        var keyPem = source.KeyPath is null ? null : ReadText(source.KeyPath, source.KeyKey!);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes(certificatePem));
        hash.AppendData([0]);
        if (keyPem is not null)
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(keyPem));
        }

        return (certificatePem, keyPem, Convert.ToHexString(hash.GetHashAndReset()));
    }

    /// <summary>Loads <paramref name="source"/>; throws <see cref="CertificateLoadException"/> naming the key at fault.</summary>
    public static LoadedCertificate Load(CertificateSource source)
    {
        var (certificatePem, keyPem, fingerprint) = Read(source);
        return Parse(source, certificatePem, keyPem, fingerprint);
    }

    public static LoadedCertificate Parse(CertificateSource source, string certificatePem, string? keyPem, string fingerprint)
    {
        var all = new X509Certificate2Collection();
        try
        {
            all.ImportFromPem(certificatePem);
        }
        catch (CryptographicException)
        {
            throw new CertificateLoadException(source.CertificateKey, $"'{source.CertificatePath}' holds a malformed PEM certificate; {PemCertificateHint}");
        }

        if (all.Count == 0)
        {
            throw new CertificateLoadException(source.CertificateKey, $"'{source.CertificatePath}' holds no PEM certificate; {PemCertificateHint}");
        }

        if (keyPem is null)
        {
            var earliest = all.Min(c => new DateTimeOffset(c.NotAfter.ToUniversalTime(), TimeSpan.Zero));
            return new LoadedCertificate(all[0], all, null, earliest, fingerprint);
        }

        var leaf = CreateWithKey(source, certificatePem, keyPem);
        var chain = new X509Certificate2Collection();
        for (var i = 1; i < all.Count; i++)
        {
            chain.Add(all[i]);
        }

        var context = SslStreamCertificateContext.Create(leaf, chain, offline: true);
        return new LoadedCertificate(leaf, all, context, new DateTimeOffset(leaf.NotAfter.ToUniversalTime(), TimeSpan.Zero), fingerprint);
    }

    private static X509Certificate2 CreateWithKey(CertificateSource source, string certificatePem, string keyPem)
    {
        if (keyPem.Contains("-----BEGIN ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal))
        {
            throw new CertificateLoadException(source.KeyKey!, $"'{source.KeyPath}' holds an encrypted private key; decrypt it (openssl pkey -in key.pem -out plain.pem)");
        }

        if (!ParsesAsPrivateKey(keyPem))
        {
            throw new CertificateLoadException(source.KeyKey!, $"'{source.KeyPath}' holds no usable PEM private key; use an RSA or ECDSA key in PKCS#8, PKCS#1 or SEC1 form");
        }

        try
        {
            return X509Certificate2.CreateFromPem(certificatePem, keyPem);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            // The key parsed on its own, so the only thing left is that it belongs to another certificate.
            throw new CertificateLoadException(source.KeyKey!, $"the private key in '{source.KeyPath}' does not match the certificate in {source.CertificateKey} ('{source.CertificatePath}'); use the key the certificate was issued for");
        }
    }

    private static bool ParsesAsPrivateKey(string keyPem)
    {
        try
        {
            using var rsa = RSA.Create();
            rsa.ImportFromPem(keyPem);
            return true;
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
        }

        try
        {
            using var ecdsa = ECDsa.Create();
            ecdsa.ImportFromPem(keyPem);
            return true;
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            return false;
        }
    }

    private static string ReadText(string path, string key)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CertificateLoadException(key, $"file '{path}' not found; use the path of a readable PEM file");
        }
        catch (UnauthorizedAccessException)
        {
            throw new CertificateLoadException(key, $"file '{path}' cannot be read (permission denied); make it readable by the user Ambassador runs as");
        }
        catch (IOException ex)
        {
            throw new CertificateLoadException(key, $"file '{path}' cannot be read ({ex.Message}); check the path and its permissions");
        }
    }
}
