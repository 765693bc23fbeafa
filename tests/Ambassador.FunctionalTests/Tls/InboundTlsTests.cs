using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Ambassador.FunctionalTests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Ambassador.FunctionalTests.Tls;

/// <summary>The TLS proxy listener: real handshakes on loopback through the real host.</summary>
public sealed class InboundTlsTests : IDisposable
{
    private readonly TestCertificates _certificates = new();
    private readonly X509Certificate2 _ca = TestCertificates.CreateCa("Inbound Test CA");
    private readonly WireMockServer _upstream = WireMockServer.Start();

    public InboundTlsTests() =>
        _upstream.Given(Request.Create().UsingAnyMethod()).RespondWith(Response.Create().WithStatusCode(200).WithBody("from-upstream"));

    public void Dispose()
    {
        _upstream.Stop();
        _upstream.Dispose();
        _certificates.Dispose();
    }

    [Fact]
    public async Task TlsListener_WithCertificate_ServesProxyRoutesOverHttp11AndHttp2()
    {
        var (certificatePath, keyPath) = _certificates.Write(_certificates.IssueServer(_ca), "server");
        await using var amb = await TestAmbassador.StartAsync(Settings(certificatePath, keyPath));

        Assert.NotNull(amb.ProxyTlsAddress);
        Assert.Equal("https", amb.ProxyTlsAddress!.Scheme);
        using var client = TestCertificates.CreateClient(amb.ProxyTlsAddress, _ca);

        using var http11 = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/one") { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact });
        Assert.Equal(HttpStatusCode.OK, http11.StatusCode);
        Assert.Equal(HttpVersion.Version11, http11.Version);
        Assert.Equal("from-upstream", await http11.Content.ReadAsStringAsync());

        using var http2 = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/two") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact });
        Assert.Equal(HttpStatusCode.OK, http2.StatusCode);
        Assert.Equal(HttpVersion.Version20, http2.Version);

        // Same routing table as the plaintext listener, and no admin endpoints on it.
        using var noRoute = await client.GetAsync("/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, noRoute.StatusCode);
        Assert.Equal("no-route", Assert.Single(noRoute.Headers.GetValues("x-ambassador-error")));
        using var adminPath = await client.GetAsync("/healthz");
        Assert.Equal("no-route", Assert.Single(adminPath.Headers.GetValues("x-ambassador-error")));
        using var plain = await amb.ProxyClient.GetAsync("/api/three");
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
    }

    [Fact]
    public async Task TlsListener_WithoutCertificatePath_IsOff()
    {
        var settings = Settings(null, null);
        await using var amb = await TestAmbassador.StartAsync(settings);
        Assert.Null(amb.ProxyTlsAddress);
        using var plain = await amb.ProxyClient.GetAsync("/api/x");
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
    }

    [Fact]
    public async Task TlsListener_Tls11_IsRefused_Tls12AndTls13_Succeed()
    {
        var (certificatePath, keyPath) = _certificates.Write(_certificates.IssueServer(_ca), "server");
        await using var amb = await TestAmbassador.StartAsync(Settings(certificatePath, keyPath));
        var port = amb.ProxyTlsAddress!.Port;

        // A hand-made TLS 1.1 ClientHello, so the refusal is the server's and not the client library's choice.
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, port);
            var stream = tcp.GetStream();
            await stream.WriteAsync(Tls11ClientHello());
            var reply = await ReadSomeAsync(stream, TimeSpan.FromSeconds(10));
            // Either an alert record (0x15, typically protocol_version) or a closed connection; never a ServerHello (0x16).
            Assert.True(reply.Length == 0 || reply[0] == 0x15, $"expected an alert or a close, got record type 0x{(reply.Length == 0 ? 0 : reply[0]):x2}");
        }

#pragma warning disable SYSLIB0039, CA5397 // TLS 1.1 on purpose: it must be refused.
        await Assert.ThrowsAnyAsync<Exception>(() => HandshakeAsync(port, SslProtocols.Tls11));
#pragma warning restore SYSLIB0039, CA5397
        Assert.Equal(SslProtocols.Tls12, (await HandshakeAsync(port, SslProtocols.Tls12)).Protocol);
        Assert.Equal(SslProtocols.Tls13, (await HandshakeAsync(port, SslProtocols.Tls13)).Protocol);
    }

    [Fact]
    public async Task TlsListener_CertificateFilesReplaced_NewConnectionGetsNewCertificate_BrokenFileKeepsPrevious()
    {
        var first = _certificates.IssueServer(_ca);
        var second = _certificates.IssueServer(_ca);
        var (certificatePath, keyPath) = _certificates.Write(first, "server");
        await using var amb = await TestAmbassador.StartAsync(Settings(certificatePath, keyPath));
        var port = amb.ProxyTlsAddress!.Port;
        Assert.Equal(TestCertificates.Sha256(first), (await HandshakeAsync(port, SslProtocols.Tls13)).Thumbprint);

        TestCertificates.Overwrite(second, certificatePath, keyPath);
        await Poll.UntilAsync(async () => (await HandshakeAsync(port, SslProtocols.Tls13)).Thumbprint == TestCertificates.Sha256(second),
            TimeSpan.FromSeconds(20), "a new connection is served the rotated certificate");
        Assert.True(amb.Logs.Contains("TLS certificate 'inbound' reloaded"), amb.Logs.All);

        // A key that belongs to another certificate: the error is logged, the second certificate keeps serving.
        var (_, otherKey) = _certificates.Write(_certificates.IssueServer(_ca), "other");
        TestCertificates.WriteAtomically(keyPath, File.ReadAllText(otherKey));
        await Poll.UntilAsync(() => amb.Logs.Contains("keeping the previous certificate"), TimeSpan.FromSeconds(20), "the broken reload is logged");
        Assert.Contains(amb.Logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal) && l.Contains("Ambassador:Tls:KeyPath", StringComparison.Ordinal));
        Assert.Equal(TestCertificates.Sha256(second), (await HandshakeAsync(port, SslProtocols.Tls13)).Thumbprint);
        Assert.DoesNotContain(amb.Logs.Lines, l => l.Contains("PRIVATE KEY", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TlsListener_ConfigReloadToOtherFiles_SwitchesCertificate_InvalidReloadKeepsServing()
    {
        var first = _certificates.IssueServer(_ca);
        var second = _certificates.IssueServer(_ca);
        var (firstCertificate, firstKey) = _certificates.Write(first, "first");
        var (secondCertificate, secondKey) = _certificates.Write(second, "second");
        await using var amb = await TestAmbassador.StartAsync(Settings(firstCertificate, firstKey));
        var port = amb.ProxyTlsAddress!.Port;

        // A reload naming a key of another certificate is rejected by validation; the listener keeps serving.
        await amb.RewriteConfigAsync(TestAmbassador.ToJson(Settings(firstCertificate, secondKey)));
        await Poll.UntilAsync(() => amb.Logs.Contains("Ambassador:Tls:KeyPath: the private key in"), TimeSpan.FromSeconds(20), "the invalid reload is reported");
        Assert.Equal(TestCertificates.Sha256(first), (await HandshakeAsync(port, SslProtocols.Tls12)).Thumbprint);

        await amb.RewriteConfigAsync(TestAmbassador.ToJson(Settings(secondCertificate, secondKey)));
        await Poll.UntilAsync(async () => (await HandshakeAsync(port, SslProtocols.Tls12)).Thumbprint == TestCertificates.Sha256(second),
            TimeSpan.FromSeconds(20), "the certificate named by the reloaded configuration is served");
    }

    [Fact]
    public async Task TlsListener_PlaintextHttp_ClosesConnectionWithoutHarm()
    {
        var (certificatePath, keyPath) = _certificates.Write(_certificates.IssueServer(_ca), "server");
        await using var amb = await TestAmbassador.StartAsync(Settings(certificatePath, keyPath));

        for (var i = 0; i < 3; i++)
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, amb.ProxyTlsAddress!.Port);
            var stream = tcp.GetStream();
            await stream.WriteAsync("GET /api/x HTTP/1.1\r\nHost: localhost\r\n\r\n"u8.ToArray());
            var reply = await ReadSomeAsync(stream, TimeSpan.FromSeconds(10));
            Assert.False(System.Text.Encoding.ASCII.GetString(reply).StartsWith("HTTP/1.1 200", StringComparison.Ordinal));
        }

        using var client = TestCertificates.CreateClient(amb.ProxyTlsAddress!, _ca);
        using var response = await client.GetAsync("/api/after");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var health = await amb.AdminClient.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task TlsListener_RequireClientCertificate_AcceptsTrustedForwardsXfcc_RejectsOthers()
    {
        var clientCa = TestCertificates.CreateCa("Client CA");
        var (certificatePath, keyPath) = _certificates.Write(_certificates.IssueServer(_ca), "server");
        var (clientCaPath, _) = _certificates.Write(clientCa, "client-ca");
        var settings = Settings(certificatePath, keyPath);
        settings["Ambassador:Tls:ClientCertificateMode"] = "RequireCertificate";
        settings["Ambassador:Tls:ClientCaPath"] = clientCaPath;
        settings["Ambassador:Tls:ForwardClientCertificate"] = "true";
        await using var amb = await TestAmbassador.StartAsync(settings);
        var trusted = _certificates.IssueClient(clientCa, "orders");
        var stranger = _certificates.IssueClient(TestCertificates.CreateCa("Other CA"), "mallory");

        using (var client = TestCertificates.CreateClient(amb.ProxyTlsAddress!, _ca, trusted))
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/mtls");
            request.Headers.TryAddWithoutValidation("X-Forwarded-Client-Cert", "Hash=forged");
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var forwarded = _upstream.LogEntries.Single(e => e.RequestMessage.Path == "/api/mtls").RequestMessage.Headers!;
        var xfcc = Assert.Single(forwarded.First(h => h.Key.Equals("X-Forwarded-Client-Cert", StringComparison.OrdinalIgnoreCase)).Value);
        Assert.StartsWith($"Hash={TestCertificates.Sha256(trusted).ToLowerInvariant()};Subject=\"CN=orders\"", xfcc, StringComparison.Ordinal);
        Assert.Contains("URI=spiffe://test/orders", xfcc, StringComparison.Ordinal);

        using (var anonymous = TestCertificates.CreateClient(amb.ProxyTlsAddress!, _ca))
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => anonymous.GetAsync("/api/anonymous"));
        }

        using (var untrusted = TestCertificates.CreateClient(amb.ProxyTlsAddress!, _ca, stranger))
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => untrusted.GetAsync("/api/stranger"));
        }

        Assert.DoesNotContain(_upstream.LogEntries, e => e.RequestMessage.Path is "/api/anonymous" or "/api/stranger");
        await Poll.UntilAsync(() => amb.Logs.Contains("client certificate 'CN=mallory' rejected"), TimeSpan.FromSeconds(10), "the untrusted client certificate is logged");
    }

    [Fact]
    public async Task TlsListener_AllowClientCertificate_WithoutForwarding_LeavesHeaderAlone()
    {
        var (certificatePath, keyPath) = _certificates.Write(_certificates.IssueServer(_ca), "server");
        var settings = Settings(certificatePath, keyPath);
        settings["Ambassador:Tls:ClientCertificateMode"] = "AllowCertificate";
        await using var amb = await TestAmbassador.StartAsync(settings);

        using var client = TestCertificates.CreateClient(amb.ProxyTlsAddress!, _ca);
        using var response = await client.GetAsync("/api/anonymous-allowed");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forwarded = _upstream.LogEntries.Single(e => e.RequestMessage.Path == "/api/anonymous-allowed").RequestMessage.Headers!;
        Assert.DoesNotContain(forwarded.Keys, k => k.Equals("X-Forwarded-Client-Cert", StringComparison.OrdinalIgnoreCase));
    }

    private Dictionary<string, string?> Settings(string? certificatePath, string? keyPath)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ReverseProxy:Routes:api:ClusterId"] = "app",
            ["ReverseProxy:Routes:api:Match:Path"] = "/api/{**rest}",
            ["ReverseProxy:Clusters:app:Destinations:d1:Address"] = _upstream.Url!,
        };
        if (certificatePath is not null)
        {
            settings["Ambassador:Tls:CertificatePath"] = certificatePath;
            settings["Ambassador:Tls:KeyPath"] = keyPath;
            settings["Ambassador:Tls:ReloadInterval"] = "00:00:00.200";
        }

        return settings;
    }

    internal static async Task<(SslProtocols Protocol, string Thumbprint)> HandshakeAsync(int port, SslProtocols protocols)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        await using var tls = new SslStream(tcp.GetStream());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            EnabledSslProtocols = protocols,
#pragma warning disable CA5359 // The test only reads which certificate the server presented.
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
#pragma warning restore CA5359
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        }, cts.Token);
        return (tls.SslProtocol, TestCertificates.Sha256(tls.RemoteCertificate!));
    }

    internal static async Task<byte[]> ReadSomeAsync(NetworkStream stream, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[1024];
        try
        {
            var read = await stream.ReadAsync(buffer, cts.Token);
            return buffer[..read];
        }
        catch (IOException)
        {
            return [];
        }
    }

    /// <summary>A minimal ClientHello that offers only TLS 1.1 (no supported_versions extension) with TLS 1.0/1.1 cipher suites.</summary>
    internal static byte[] Tls11ClientHello()
    {
        var body = new List<byte> { 0x03, 0x02 }; // client_version TLS 1.1
        body.AddRange(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        body.Add(0x00); // session id
        byte[] suites = [0xc0, 0x09, 0xc0, 0x13, 0xc0, 0x0a, 0xc0, 0x14, 0x00, 0x2f, 0x00, 0x35];
        body.AddRange([0x00, (byte)suites.Length]);
        body.AddRange(suites);
        body.AddRange([0x01, 0x00]); // compression: null
        byte[] extensions =
        [
            0x00, 0x0a, 0x00, 0x04, 0x00, 0x02, 0x00, 0x17, // supported_groups: secp256r1
            0x00, 0x0b, 0x00, 0x02, 0x01, 0x00, // ec_point_formats: uncompressed
        ];
        body.AddRange([0x00, (byte)extensions.Length]);
        body.AddRange(extensions);
        var handshake = new List<byte> { 0x01, 0x00, (byte)(body.Count >> 8), (byte)body.Count };
        handshake.AddRange(body);
        var record = new List<byte> { 0x16, 0x03, 0x01, (byte)(handshake.Count >> 8), (byte)handshake.Count };
        record.AddRange(handshake);
        return [.. record];
    }
}
