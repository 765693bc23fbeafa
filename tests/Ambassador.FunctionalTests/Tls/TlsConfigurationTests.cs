using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ambassador.FunctionalTests.Infrastructure;
using Ambassador.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Ambassador.FunctionalTests.Tls;

/// <summary>Bad TLS input at start, expired certificates, expiry telemetry, and TLS 1.1 refusal in a real process.</summary>
public sealed class TlsConfigurationTests : IDisposable
{
    private readonly TestCertificates _certificates = new();
    private readonly X509Certificate2 _ca = TestCertificates.CreateCa("Config Test CA");

    public void Dispose() => _certificates.Dispose();

    [Fact]
    public async Task Start_MismatchedKeyAndMissingFiles_Exits2NamingEveryKey()
    {
        var (certificatePath, _) = _certificates.Write(_certificates.IssueServer(_ca), "server");
        var (_, otherKey) = _certificates.Write(_certificates.IssueServer(_ca), "other");
        var (clientCertificate, _) = _certificates.Write(_certificates.IssueClient(_ca, "client"), "client");
        var missing = Path.Combine(_certificates.Directory, "missing-ca.pem");
        var configPath = Path.Combine(_certificates.Directory, "bad.json");
        await File.WriteAllTextAsync(configPath, TestAmbassador.ToJson(new Dictionary<string, string?>
        {
            ["Ambassador:Listeners:Proxy"] = "http://127.0.0.1:0",
            ["Ambassador:Listeners:Admin"] = "http://127.0.0.1:0",
            ["Ambassador:Listeners:ProxyTls"] = "https://127.0.0.1:0",
            ["Ambassador:Tls:CertificatePath"] = certificatePath,
            ["Ambassador:Tls:KeyPath"] = otherKey,
            ["Ambassador:Tls:ClientCertificateMode"] = "Sometimes",
            ["ReverseProxy:Routes:r:ClusterId"] = "c",
            ["ReverseProxy:Routes:r:Match:Path"] = "/{**rest}",
            ["ReverseProxy:Clusters:c:Destinations:d1:Address"] = "https://127.0.0.1:1",
            ["ReverseProxy:Clusters:c:Metadata:CaPath"] = missing,
            ["ReverseProxy:Clusters:c:Metadata:ClientCertificatePath"] = clientCertificate,
        }));

        foreach (var args in new[] { new[] { "--config", configPath }, new[] { "validate", configPath } })
        {
            using var stdout = new StringWriter();
            using var stderr = new StringWriter();
            var exitCode = await AmbassadorHost.RunAsync(args, stdout, stderr);

            var errors = stderr.ToString();
            Assert.Equal(2, exitCode);
            Assert.Contains($"Ambassador:Tls:KeyPath: the private key in '{otherKey}' does not match the certificate in Ambassador:Tls:CertificatePath ('{certificatePath}'); use the key the certificate was issued for", errors, StringComparison.Ordinal);
            Assert.Contains("Ambassador:Tls:ClientCertificateMode: 'Sometimes' is not allowed; use one of NoCertificate, AllowCertificate, RequireCertificate", errors, StringComparison.Ordinal);
            Assert.Contains($"ReverseProxy:Clusters:c:Metadata:CaPath: file '{missing}' not found; use the path of a readable PEM file", errors, StringComparison.Ordinal);
            Assert.Contains("ReverseProxy:Clusters:c:Metadata:ClientKeyPath: is missing but ClientCertificatePath is set; use the path of the client certificate's PEM private key file", errors, StringComparison.Ordinal);
            Assert.DoesNotContain("PRIVATE KEY", errors + stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Start_KeyPathNotAKey_Exits2NamingKeyPath()
    {
        var (certificatePath, _) = _certificates.Write(_certificates.IssueServer(_ca), "server");
        var configPath = Path.Combine(_certificates.Directory, "bad.json");
        await File.WriteAllTextAsync(configPath, TestAmbassador.ToJson(new Dictionary<string, string?>
        {
            ["Ambassador:Tls:CertificatePath"] = certificatePath,
            ["Ambassador:Tls:KeyPath"] = certificatePath,
        }));

        using var stderr = new StringWriter();
        Assert.Equal(2, await AmbassadorHost.RunAsync(["validate", configPath], TextWriter.Null, stderr));
        Assert.Contains($"Ambassador:Tls:KeyPath: '{certificatePath}' holds no usable PEM private key", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_ExpiredAndExpiringCertificates_StartWithWarningsMetricAndAdminConfig()
    {
        var expired = _certificates.IssueServer(_ca, notAfter: DateTimeOffset.UtcNow.AddDays(-2));
        var expiring = _certificates.IssueClient(_ca, "soon", notAfter: DateTimeOffset.UtcNow.AddDays(5));
        var (certificatePath, keyPath) = _certificates.Write(expired, "expired");
        var (clientCertificatePath, clientKeyPath) = _certificates.Write(expiring, "expiring");
        await using var amb = await TestAmbassador.StartAsync(new Dictionary<string, string?>
        {
            ["Ambassador:Tls:CertificatePath"] = certificatePath,
            ["Ambassador:Tls:KeyPath"] = keyPath,
            ["ReverseProxy:Routes:r:ClusterId"] = "orders",
            ["ReverseProxy:Routes:r:Match:Path"] = "/{**rest}",
            ["ReverseProxy:Clusters:orders:Destinations:d1:Address"] = "https://127.0.0.1:1",
            ["ReverseProxy:Clusters:orders:Metadata:ClientCertificatePath"] = clientCertificatePath,
            ["ReverseProxy:Clusters:orders:Metadata:ClientKeyPath"] = clientKeyPath,
        });

        // It started and serves the (expired) certificate; clients decide what to make of it.
        Assert.Equal(TestCertificates.Sha256(expired), (await InboundTlsTests.HandshakeAsync(amb.ProxyTlsAddress!.Port, SslProtocols.Tls13)).Thumbprint);
        Assert.Contains(amb.Logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("TLS certificate 'inbound'", StringComparison.Ordinal) && l.Contains("EXPIRED", StringComparison.Ordinal));
        Assert.Contains(amb.Logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("TLS certificate 'upstream:orders:client'", StringComparison.Ordinal) && l.Contains("expires in", StringComparison.Ordinal));

        var gauge = ReadExpiryGauge(amb.Services.GetRequiredService<IMeterFactory>());
        Assert.InRange(gauge["inbound"], -3 * 86400, -86400);
        Assert.InRange(gauge["upstream:orders:client"], 4 * 86400, 6 * 86400);

        using var config = JsonDocument.Parse(await amb.AdminClient.GetStringAsync("/admin/config"));
        var ambassador = config.RootElement.GetProperty("ambassador");
        var seconds = long.Parse(ambassador.GetProperty("Tls:Certificates:inbound:ExpiresInSeconds").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(seconds, -3 * 86400, -86400);
        Assert.Equal(TestCertificates.Sha256(expired), ambassador.GetProperty("Tls:Certificates:inbound:Sha256").GetString());
        Assert.True(ambassador.TryGetProperty("Tls:Certificates:upstream:orders:client:NotAfter", out _));
    }

    [Fact]
    public async Task RealProcess_PermissiveOpenSsl_StillRefusesTls11()
    {
        // The system OpenSSL already refuses TLS 1.1 at its default security level, which would hide a missing
        // restriction in Ambassador. This process gets an OpenSSL configuration that allows TLS 1.0+, so the refusal
        // can only come from Ambassador's own TLS 1.2/1.3 setting.
        var openSslConfig = Path.Combine(_certificates.Directory, "permissive-openssl.cnf");
        await File.WriteAllTextAsync(openSslConfig, """
            openssl_conf = default_conf
            [default_conf]
            ssl_conf = ssl_sect
            [ssl_sect]
            system_default = system_default_sect
            [system_default_sect]
            MinProtocol = TLSv1
            CipherString = DEFAULT@SECLEVEL=0
            """);
        var (certificatePath, keyPath) = _certificates.Write(_certificates.IssueServer(_ca), "server");
        var configPath = Path.Combine(_certificates.Directory, "ambassador.json");
        await File.WriteAllTextAsync(configPath, TestAmbassador.ToJson(new Dictionary<string, string?>
        {
            ["Ambassador:Listeners:Proxy"] = "http://127.0.0.1:0",
            ["Ambassador:Listeners:Admin"] = "http://127.0.0.1:0",
            ["Ambassador:Listeners:ProxyTls"] = "https://127.0.0.1:0",
            ["Ambassador:Tls:CertificatePath"] = certificatePath,
            ["Ambassador:Tls:KeyPath"] = keyPath,
        }));

        await using var process = AmbassadorProcess.Start(new Dictionary<string, string> { ["OPENSSL_CONF"] = openSslConfig }, "--config", configPath);
        await process.WaitForStartAsync(TimeSpan.FromSeconds(30));
        var tls = new Uri(Regex.Match(process.Stdout, @"proxyTls=(\S+)").Groups[1].Value);

        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, tls.Port);
            var stream = tcp.GetStream();
            await stream.WriteAsync(InboundTlsTests.Tls11ClientHello());
            var reply = await InboundTlsTests.ReadSomeAsync(stream, TimeSpan.FromSeconds(10));
            Assert.True(reply.Length == 0 || reply[0] == 0x15, $"expected an alert or a close, got record type 0x{(reply.Length == 0 ? 0 : reply[0]):x2}");
        }

        Assert.Equal(SslProtocols.Tls12, (await InboundTlsTests.HandshakeAsync(tls.Port, SslProtocols.Tls12)).Protocol);
        Assert.False(process.HasExited);
    }

    private static Dictionary<string, double> ReadExpiryGauge(IMeterFactory factory)
    {
        var values = new Dictionary<string, double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Ambassador" && instrument.Meter.Scope == factory && instrument.Name == "ambassador.tls.certificate.expiry")
            {
                Assert.Equal("s", instrument.Unit);
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "certificate")
                {
                    values[(string)tag.Value!] = value;
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return values;
    }
}
