using System.Diagnostics.Metrics;
using Ambassador.Tls;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Ambassador.Tests.Tls;

public sealed class TlsCertificateStoreTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ambassador-tls-unit-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly ListLogger<TlsCertificateStore> _logger = new();
    private readonly TestMeterFactory _meters = new();

    public void Dispose()
    {
        _meters.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void ExpiryWarning_Under14Days_LoggedOncePerDay_GaugeIsSecondsLeft()
    {
        var notAfter = _time.GetUtcNow().AddDays(20);
        var (certificate, key) = TestPem.Write(_directory, "client", TestPem.Create("CN=client", _time.GetUtcNow().AddDays(-1), notAfter));
        using var store = CreateStore(new Dictionary<string, string?>
        {
            ["ReverseProxy:Clusters:orders:Metadata:ClientCertificatePath"] = certificate,
            ["ReverseProxy:Clusters:orders:Metadata:ClientKeyPath"] = key,
        });
        Assert.Equal(0, Warnings());
        Assert.Equal(20 * 86400d, ReadGauge()["upstream:orders:client"]);

        _time.Advance(TimeSpan.FromDays(7)); // 13 days left
        store.Refresh();
        Assert.Equal(1, Warnings());
        Assert.Contains("expires in 13 days", _logger.Entries[^1].Message, StringComparison.Ordinal);

        _time.Advance(TimeSpan.FromHours(23));
        store.Refresh();
        Assert.Equal(1, Warnings());

        _time.Advance(TimeSpan.FromHours(1));
        store.Refresh();
        Assert.Equal(2, Warnings());

        _time.Advance(TimeSpan.FromDays(13)); // expired one day ago
        store.Refresh();
        Assert.Equal(3, Warnings());
        Assert.Contains("EXPIRED", _logger.Entries[^1].Message, StringComparison.Ordinal);
        Assert.Equal(-86400d, ReadGauge()["upstream:orders:client"]);
    }

    [Fact]
    public void Refresh_BrokenReplacement_KeepsPreviousAndReportsOnce()
    {
        var now = _time.GetUtcNow();
        var (certificate, key) = TestPem.Write(_directory, "server", TestPem.Create("CN=first", now.AddDays(-1), now.AddDays(90)));
        using var store = CreateStore(new Dictionary<string, string?>
        {
            ["Ambassador:Tls:CertificatePath"] = certificate,
            ["Ambassador:Tls:KeyPath"] = key,
        });
        var first = store.Get(TlsConstants.InboundName)!.Thumbprint;

        File.WriteAllText(certificate, "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
        store.Refresh();
        store.Refresh();

        Assert.Equal(first, store.Get(TlsConstants.InboundName)!.Thumbprint);
        var error = Assert.Single(_logger.Entries, e => e.Level == LogLevel.Error);
        Assert.Contains("Ambassador:Tls:CertificatePath", error.Message, StringComparison.Ordinal);
        Assert.Contains($"keeping the previous certificate SHA-256 {first}", error.Message, StringComparison.Ordinal);

        var values = new Dictionary<string, string?>();
        store.Contribute(values);
        Assert.StartsWith("Ambassador:Tls:CertificatePath:", values["Tls:Certificates:inbound:LastError"], StringComparison.Ordinal);
        Assert.Equal(first, values["Tls:Certificates:inbound:Sha256"]);
    }

    private TlsCertificateStore CreateStore(Dictionary<string, string?> settings) =>
        new(new TlsConfiguration(new ConfigurationBuilder().AddInMemoryCollection(settings).Build()), _time, _logger, _meters);

    private int Warnings() => _logger.Entries.Count(e => e.Level == LogLevel.Warning);

    private Dictionary<string, double> ReadGauge()
    {
        var values = new Dictionary<string, double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == _meters && instrument.Name == "ambassador.tls.certificate.expiry")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) => values[(string)tags[0].Value!] = value);
        listener.Start();
        listener.RecordObservableInstruments();
        return values;
    }
}
