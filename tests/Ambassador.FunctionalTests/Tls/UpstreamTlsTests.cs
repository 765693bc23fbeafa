using System.Net;
using System.Security.Cryptography.X509Certificates;
using Ambassador.FunctionalTests.Infrastructure;

namespace Ambassador.FunctionalTests.Tls;

/// <summary>TLS from Ambassador to https upstreams: per-cluster CA, client certificates (mTLS), SNI, reloads.</summary>
public sealed class UpstreamTlsTests : IDisposable
{
    private readonly TestCertificates _certificates = new();
    private readonly X509Certificate2 _upstreamCa = TestCertificates.CreateCa("Upstream Test CA");

    public void Dispose() => _certificates.Dispose();

    [Fact]
    public async Task HttpsUpstream_WithClusterCa_IsTrusted()
    {
        await using var upstream = await TlsUpstream.StartAsync(_certificates.IssueServer(_upstreamCa));
        var (caPath, _) = _certificates.Write(_upstreamCa, "upstream-ca");
        var settings = Settings(upstream.Address);
        settings["ReverseProxy:Clusters:secure:Metadata:CaPath"] = caPath;
        await using var amb = await TestAmbassador.StartAsync(settings);

        using var response = await amb.ProxyClient.GetAsync("/secure/hello");
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("sni=none client=none", body); // an IP destination sends no SNI; no client certificate configured
    }

    [Fact]
    public async Task HttpsUpstream_WithUnknownCa_Returns502UpstreamUnavailableAndLogsWhy()
    {
        var stranger = TestCertificates.CreateCa("Stranger CA");
        await using var upstream = await TlsUpstream.StartAsync(_certificates.IssueServer(stranger));
        var (caPath, _) = _certificates.Write(_upstreamCa, "upstream-ca");
        var settings = Settings(upstream.Address);
        settings["ReverseProxy:Clusters:secure:Metadata:CaPath"] = caPath;
        await using var amb = await TestAmbassador.StartAsync(settings);

        using var response = await amb.ProxyClient.GetAsync("/secure/hello");
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("upstream-unavailable", Assert.Single(response.Headers.GetValues("x-ambassador-error")));
        Assert.True(amb.Logs.Contains("Upstream TLS handshake for cluster 'secure' to '127.0.0.1' refused: certificate 'CN=localhost' is not issued by a CA in ReverseProxy:Clusters:secure:Metadata:CaPath"), amb.Logs.All);
    }

    [Fact]
    public async Task HttpsUpstream_PrivateCaWithoutCaPath_IsRejectedAgainstSystemStore()
    {
        await using var upstream = await TlsUpstream.StartAsync(_certificates.IssueServer(_upstreamCa));
        await using var amb = await TestAmbassador.StartAsync(Settings(upstream.Address));

        using var response = await amb.ProxyClient.GetAsync("/secure/hello");
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.True(amb.Logs.Contains("verified against the system store"), amb.Logs.All);
    }

    [Fact]
    public async Task HttpsUpstream_DangerousAcceptAnyServerCertificate_ForwardsAndWarns()
    {
        await using var upstream = await TlsUpstream.StartAsync(_certificates.IssueServer(TestCertificates.CreateCa("Stranger CA")));
        var settings = Settings(upstream.Address);
        settings["ReverseProxy:Clusters:secure:HttpClient:DangerousAcceptAnyServerCertificate"] = "true";
        await using var amb = await TestAmbassador.StartAsync(settings);

        using var response = await amb.ProxyClient.GetAsync("/secure/hello");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(amb.Logs.Contains("Cluster 'secure' accepts ANY upstream server certificate"), amb.Logs.All);
    }

    [Fact]
    public async Task HttpsUpstream_SniOverride_SendsAndVerifiesThatName()
    {
        await using var upstream = await TlsUpstream.StartAsync(_certificates.IssueServer(_upstreamCa, "api.internal", null, "api.internal"));
        var (caPath, _) = _certificates.Write(_upstreamCa, "upstream-ca");
        var settings = Settings(upstream.Address);
        settings["ReverseProxy:Clusters:secure:Metadata:CaPath"] = caPath;
        settings["ReverseProxy:Clusters:secure:Metadata:Sni"] = "api.internal";
        settings["ReverseProxy:Routes:plain:ClusterId"] = "nosni";
        settings["ReverseProxy:Routes:plain:Match:Path"] = "/nosni/{**rest}";
        settings["ReverseProxy:Clusters:nosni:Destinations:d1:Address"] = upstream.Address.ToString();
        settings["ReverseProxy:Clusters:nosni:Metadata:CaPath"] = caPath;
        await using var amb = await TestAmbassador.StartAsync(settings);

        using var response = await amb.ProxyClient.GetAsync("/secure/hello");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("sni=api.internal client=none", await response.Content.ReadAsStringAsync());

        // Without the override the certificate (for api.internal only) does not match 127.0.0.1.
        using var mismatch = await amb.ProxyClient.GetAsync("/nosni/hello");
        Assert.Equal(HttpStatusCode.BadGateway, mismatch.StatusCode);
        Assert.True(amb.Logs.Contains("is not valid for the name '127.0.0.1'"), amb.Logs.All);
    }

    [Fact]
    public async Task HttpsUpstream_RequiringClientCertificate_GetsClusterCertificate_AndItsReload()
    {
        var clientCa = TestCertificates.CreateCa("Client CA");
        var first = _certificates.IssueClient(clientCa, "ambassador-1");
        var second = _certificates.IssueClient(clientCa, "ambassador-2");
        await using var upstream = await TlsUpstream.StartAsync(_certificates.IssueServer(_upstreamCa), requireClientCertificate: true);
        var (caPath, _) = _certificates.Write(_upstreamCa, "upstream-ca");
        var (clientCertificatePath, clientKeyPath) = _certificates.Write(first, "client");
        var settings = Settings(upstream.Address);
        settings["ReverseProxy:Clusters:secure:Metadata:CaPath"] = caPath;
        settings["ReverseProxy:Clusters:secure:Metadata:ClientCertificatePath"] = clientCertificatePath;
        settings["ReverseProxy:Clusters:secure:Metadata:ClientKeyPath"] = clientKeyPath;
        settings["ReverseProxy:Routes:plain:ClusterId"] = "nocert";
        settings["ReverseProxy:Routes:plain:Match:Path"] = "/nocert/{**rest}";
        settings["ReverseProxy:Clusters:nocert:Destinations:d1:Address"] = upstream.Address.ToString();
        settings["ReverseProxy:Clusters:nocert:Metadata:CaPath"] = caPath;
        await using var amb = await TestAmbassador.StartAsync(settings);

        using (var response = await amb.ProxyClient.GetAsync("/secure/hello"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal($"sni=none client={TestCertificates.Sha256(first)}", await response.Content.ReadAsStringAsync());
        }

        // A cluster without a client certificate cannot pass the upstream's requirement.
        using (var refused = await amb.ProxyClient.GetAsync("/nocert/hello"))
        {
            Assert.Equal(HttpStatusCode.BadGateway, refused.StatusCode);
        }

        TestCertificates.Overwrite(second, clientCertificatePath, clientKeyPath);
        await Poll.UntilAsync(async () =>
        {
            using var response = await amb.ProxyClient.GetAsync("/secure/hello");
            return await response.Content.ReadAsStringAsync() == $"sni=none client={TestCertificates.Sha256(second)}";
        }, TimeSpan.FromSeconds(20), "the upstream sees the rotated client certificate on a new connection");
        // The new certificate is in use before its log line is written: wait for the line, do not race it.
        await Poll.UntilAsync(() => amb.Logs.Contains("TLS certificate 'upstream:secure:client' reloaded"), TimeSpan.FromSeconds(5), "the reload is logged");
    }

    [Fact]
    public async Task HttpsUpstream_ClientCertificateFromIntermediate_SendsChainFromFile()
    {
        var root = TestCertificates.CreateCa("Client Root");
        var intermediate = _certificates.CreateIntermediate(root, "Client Intermediate");
        var client = _certificates.IssueClient(intermediate, "chained");
        await using var upstream = await TlsUpstream.StartAsync(_certificates.IssueServer(_upstreamCa), requireClientCertificate: true, clientRoot: root);
        var (caPath, _) = _certificates.Write(_upstreamCa, "upstream-ca");
        var (clientCertificatePath, clientKeyPath) = _certificates.WriteWithChain(client, "chained", intermediate);
        var settings = Settings(upstream.Address);
        settings["ReverseProxy:Clusters:secure:Metadata:CaPath"] = caPath;
        settings["ReverseProxy:Clusters:secure:Metadata:ClientCertificatePath"] = clientCertificatePath;
        settings["ReverseProxy:Clusters:secure:Metadata:ClientKeyPath"] = clientKeyPath;
        await using var amb = await TestAmbassador.StartAsync(settings);

        using var response = await amb.ProxyClient.GetAsync("/secure/hello");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"sni=none client={TestCertificates.Sha256(client)}", await response.Content.ReadAsStringAsync());

        // Without the intermediate in the file the upstream cannot link the certificate to its root.
        TestCertificates.WriteAtomically(clientCertificatePath, client.ExportCertificatePem() + "\n");
        await Poll.UntilAsync(async () =>
        {
            using var refused = await amb.ProxyClient.GetAsync("/secure/hello");
            return refused.StatusCode == HttpStatusCode.BadGateway;
        }, TimeSpan.FromSeconds(20), "the upstream refuses the certificate once its intermediate is gone");
    }

    private static Dictionary<string, string?> Settings(Uri upstream) => new()
    {
        ["ReverseProxy:Routes:secure:ClusterId"] = "secure",
        ["ReverseProxy:Routes:secure:Match:Path"] = "/secure/{**rest}",
        ["ReverseProxy:Clusters:secure:Destinations:d1:Address"] = upstream.ToString(),
        ["Ambassador:Tls:ReloadInterval"] = "00:00:00.200",
    };
}
