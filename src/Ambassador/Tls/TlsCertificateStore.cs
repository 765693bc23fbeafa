using System.Diagnostics.Metrics;
using System.Globalization;
using Ambassador.Admin;
using Microsoft.Extensions.Primitives;

namespace Ambassador.Tls;

/// <summary>The validated configuration the TLS feature reads certificate paths from.</summary>
internal sealed class TlsConfiguration(IConfiguration validated)
{
    public IConfiguration Configuration { get; } = validated;
}

/// <summary>
/// Every certificate Ambassador uses (inbound server certificate, client CA bundle, per-cluster CA bundles and client
/// certificates), loaded from PEM files and kept current: <see cref="Refresh"/> follows configuration changes and file
/// changes. Handshakes read <see cref="Get"/> each time, so a reload needs neither a restart nor a new HTTP client.
/// A file that changes into something unusable is reported and the previous certificate keeps serving.
/// </summary>
internal sealed partial class TlsCertificateStore : IAdminConfigContributor, IDisposable
{
    private readonly IConfiguration _configuration;
    private readonly TimeProvider _time;
    private readonly ILogger<TlsCertificateStore> _logger;
    private readonly Lock _lock = new();
    private readonly Meter _meter;
    private readonly IDisposable _configChanges;
    private Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public TlsCertificateStore(TlsConfiguration configuration, TimeProvider time, ILogger<TlsCertificateStore> logger, IMeterFactory meterFactory)
    {
        _configuration = configuration.Configuration;
        _time = time;
        _logger = logger;
        _meter = meterFactory.Create(AmbassadorTelemetry.MeterName);
        _meter.CreateObservableGauge(
            "ambassador.tls.certificate.expiry",
            Observe,
            unit: "s",
            description: "Seconds until each loaded TLS certificate expires (negative once expired).");
        Refresh();
        _configChanges = ChangeToken.OnChange(_configuration.GetReloadToken, Refresh);
    }

    /// <summary>The current certificate named <paramref name="name"/> (see <see cref="TlsConstants"/>), or null when none is loaded.</summary>
    public LoadedCertificate? Get(string name) =>
        Volatile.Read(ref _entries).TryGetValue(name, out var entry) ? entry.Current : null;

    /// <summary>Adds and drops certificates to match the configuration, and reloads those whose files changed.</summary>
    public void Refresh()
    {
        lock (_lock)
        {
            var current = _entries;
            var next = new Dictionary<string, Entry>(StringComparer.Ordinal);
            foreach (var source in TlsSources.Read(_configuration))
            {
                if (!current.TryGetValue(source.Name, out var entry) || entry.Source != source)
                {
                    // New or moved files: until they load, the previous certificate of that name (if any) keeps serving.
                    entry = new Entry(source) { Current = entry?.Current };
                }

                Check(entry);
                next[source.Name] = entry;
            }

            Volatile.Write(ref _entries, next);
        }
    }

    /// <inheritdoc />
    public void Contribute(IDictionary<string, string?> values)
    {
        var now = _time.GetUtcNow();
        foreach (var (name, entry) in Volatile.Read(ref _entries))
        {
            var prefix = $"Tls:Certificates:{name}:";
            values[prefix + "Source"] = entry.Source.CertificatePath;
            values[prefix + "LastError"] = entry.LastError;
            if (entry.Current is { } certificate)
            {
                values[prefix + "Subject"] = certificate.Leaf.Subject;
                values[prefix + "Sha256"] = certificate.Thumbprint;
                values[prefix + "NotAfter"] = certificate.NotAfter.ToString("O", CultureInfo.InvariantCulture);
                values[prefix + "ExpiresInSeconds"] = ((long)(certificate.NotAfter - now).TotalSeconds).ToString(CultureInfo.InvariantCulture);
            }
        }
    }

    public void Dispose()
    {
        _configChanges.Dispose();
        _meter.Dispose();
    }

    private IEnumerable<Measurement<double>> Observe()
    {
        var now = _time.GetUtcNow();
        foreach (var (name, entry) in Volatile.Read(ref _entries))
        {
            if (entry.Current is { } certificate)
            {
                yield return new Measurement<double>((certificate.NotAfter - now).TotalSeconds, new KeyValuePair<string, object?>("certificate", name));
            }
        }
    }

    private void Check(Entry entry)
    {
        var source = entry.Source;
        string certificatePem;
        string? keyPem;
        string fingerprint;
        try
        {
            (certificatePem, keyPem, fingerprint) = PemCertificateLoader.Read(source);
        }
        catch (CertificateLoadException ex)
        {
            Fail(entry, ex);
            return;
        }

        if (fingerprint == entry.SeenFingerprint)
        {
            WarnIfExpiring(entry, force: false);
            return;
        }

        entry.SeenFingerprint = fingerprint;
        try
        {
            var loaded = PemCertificateLoader.Parse(source, certificatePem, keyPem, fingerprint);
            var previous = entry.Current;
            entry.Current = loaded;
            entry.LastError = null;
            if (previous is null)
            {
                LogLoaded(_logger, source.Name, loaded.Leaf.Subject, loaded.Thumbprint, loaded.NotAfter, source.CertificatePath);
            }
            else
            {
                LogReloaded(_logger, source.Name, loaded.Leaf.Subject, loaded.Thumbprint, previous.Thumbprint, loaded.NotAfter);
            }

            WarnIfExpiring(entry, force: true);
        }
        catch (Exception ex) when (ex is CertificateLoadException or System.Security.Cryptography.CryptographicException)
        {
            Fail(entry, ex);
        }
    }

    private void Fail(Entry entry, Exception ex)
    {
        var message = ex is CertificateLoadException load ? $"{load.Key}: {load.Message}" : $"{entry.Source.CertificateKey}: {ex.Message}";
        if (message == entry.LastError)
        {
            return; // reported already; say it again only when it changes
        }

        entry.LastError = message;
        if (entry.Current is { } previous)
        {
            LogReloadFailedKeepingPrevious(_logger, entry.Source.Name, message, previous.Thumbprint);
        }
        else
        {
            LogLoadFailed(_logger, entry.Source.Name, message);
        }
    }

    private void WarnIfExpiring(Entry entry, bool force)
    {
        if (entry.Current is not { } certificate)
        {
            return;
        }

        var now = _time.GetUtcNow();
        var left = certificate.NotAfter - now;
        if (left >= TlsConstants.ExpiryWarningThreshold)
        {
            return;
        }

        if (!force && entry.LastExpiryWarning is { } last && now - last < TlsConstants.ExpiryWarningRepeat)
        {
            return;
        }

        entry.LastExpiryWarning = now;
        if (left <= TimeSpan.Zero)
        {
            LogExpired(_logger, entry.Source.Name, certificate.Leaf.Subject, certificate.NotAfter, entry.Source.CertificatePath);
        }
        else
        {
            LogExpiresSoon(_logger, entry.Source.Name, certificate.Leaf.Subject, Math.Round(left.TotalDays, 1), certificate.NotAfter, entry.Source.CertificatePath);
        }
    }

    private sealed class Entry(CertificateSource source)
    {
        public CertificateSource Source { get; } = source;

        public volatile LoadedCertificate? Current;

        public string? SeenFingerprint { get; set; }

        public string? LastError { get; set; }

        public DateTimeOffset? LastExpiryWarning { get; set; }
    }
}
