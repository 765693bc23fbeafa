using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Ambassador.FunctionalTests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace Ambassador.FunctionalTests.Hosting;

public sealed class ErrorContractTests
{
    private static string Config(string destinations, string clusterExtra = "") => $$"""
        {
          "ReverseProxy": {
            "Routes": { "api": { "ClusterId": "backend", "Match": { "Path": "/api/{**rest}" } } },
            "Clusters": { "backend": { {{clusterExtra}} "Destinations": { {{destinations}} } } }
          }
        }
        """;

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string reason, string detailContains)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(reason, Assert.Single(response.Headers.GetValues("x-ambassador-error")));
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal((int)status, body.RootElement.GetProperty("status").GetInt32());
        Assert.Equal($"urn:ambassador:error:{reason}", body.RootElement.GetProperty("type").GetString());
        Assert.False(string.IsNullOrEmpty(body.RootElement.GetProperty("title").GetString()));
        Assert.Contains(detailContains, body.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoRouteMatches_Returns404NoRoute()
    {
        using var upstream = Upstreams.StartWireMock();
        await using var amb = await TestAmbassador.StartAsync(Config($$""" "d1": { "Address": "{{upstream.Address()}}" } """));

        using var response = await amb.ProxyClient.GetAsync("/elsewhere");

        await AssertProblemAsync(response, HttpStatusCode.NotFound, "no-route", "GET /elsewhere");
        Assert.Empty(upstream.LogEntries);
    }

    [Fact]
    public async Task UpstreamRefusesConnections_Returns502UpstreamUnavailable()
    {
        var closedPort = FreePort();
        await using var amb = await TestAmbassador.StartAsync(Config($$""" "d1": { "Address": "http://127.0.0.1:{{closedPort}}/" } """));

        using var response = await amb.ProxyClient.GetAsync("/api/x");

        await AssertProblemAsync(response, HttpStatusCode.BadGateway, "upstream-unavailable", "'backend'");
    }

    [Fact]
    public async Task UpstreamTooSlow_Returns504UpstreamTimeout()
    {
        using var upstream = Upstreams.StartWireMock();
        upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithDelay(TimeSpan.FromSeconds(5)).WithStatusCode(200));
        await using var amb = await TestAmbassador.StartAsync(Config(
            $$""" "d1": { "Address": "{{upstream.Address()}}" } """,
            """ "HttpRequest": { "ActivityTimeout": "00:00:00.300" }, """));

        using var response = await amb.ProxyClient.GetAsync("/api/slow");

        await AssertProblemAsync(response, HttpStatusCode.GatewayTimeout, "upstream-timeout", "'backend'");
    }

    [Fact]
    public async Task BodyLargerThanRouteLimit_Returns413BodyTooLarge()
    {
        using var upstream = Upstreams.StartWireMock();
        upstream.Given(Request.Create().UsingPost()).RespondWith(Response.Create().WithStatusCode(200));
        await using var amb = await TestAmbassador.StartAsync($$"""
            {
              "ReverseProxy": {
                "Routes": { "api": { "ClusterId": "backend", "MaxRequestBodySize": 1024, "Match": { "Path": "/api/{**rest}" } } },
                "Clusters": { "backend": { "Destinations": { "d1": { "Address": "{{upstream.Address()}}" } } } }
              }
            }
            """);

        using var response = await amb.ProxyClient.PostAsync("/api/upload", new ByteArrayContent(new byte[4096]));

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "body-too-large", "'api'");
    }

    [Fact]
    public async Task ClusterWithoutDestinations_Returns503NoHealthyDestination()
    {
        await using var amb = await TestAmbassador.StartAsync(Config(string.Empty));

        using var response = await amb.ProxyClient.GetAsync("/api/x");

        await AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable, "no-healthy-destination", "'backend'");
    }

    [Fact]
    public async Task UpstreamErrorStatus_PassesThroughUnchanged()
    {
        using var upstream = Upstreams.StartWireMock();
        upstream.Given(Request.Create().UsingGet())
            .RespondWith(Response.Create().WithStatusCode(503).WithHeader("Content-Type", "text/plain").WithBody("upstream says no"));
        await using var amb = await TestAmbassador.StartAsync(Config($$""" "d1": { "Address": "{{upstream.Address()}}" } """));

        using var response = await amb.ProxyClient.GetAsync("/api/x");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.False(response.Headers.Contains("x-ambassador-error"));
        Assert.Equal("upstream says no", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ContentLengthAndTransferEncoding_Returns400AndIsNeverForwarded()
    {
        using var upstream = Upstreams.StartWireMock();
        upstream.Given(Request.Create()).RespondWith(Response.Create().WithStatusCode(200));
        await using var amb = await TestAmbassador.StartAsync(Config($$""" "d1": { "Address": "{{upstream.Address()}}" } """));

        var raw = "POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
        var answer = await SendRawAsync(amb.ProxyAddress, raw);

        Assert.StartsWith("HTTP/1.1 400", answer, StringComparison.Ordinal);
        Assert.Empty(upstream.LogEntries);
    }

    [Fact]
    public async Task OversizedHeaders_Returns431()
    {
        using var upstream = Upstreams.StartWireMock();
        upstream.Given(Request.Create()).RespondWith(Response.Create().WithStatusCode(200));
        await using var amb = await TestAmbassador.StartAsync(Config($$""" "d1": { "Address": "{{upstream.Address()}}" } """));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/x");
        request.Headers.Add("X-Big", new string('a', 40 * 1024));

        using var response = await amb.ProxyClient.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
        Assert.Empty(upstream.LogEntries);
    }

    [Fact]
    public async Task MalformedRequestLine_Returns400AndProxyKeepsServing()
    {
        using var upstream = Upstreams.StartWireMock();
        upstream.Given(Request.Create()).RespondWith(Response.Create().WithStatusCode(200));
        await using var amb = await TestAmbassador.StartAsync(Config($$""" "d1": { "Address": "{{upstream.Address()}}" } """));

        var answer = await SendRawAsync(amb.ProxyAddress, "GARBAGE\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 400", answer, StringComparison.Ordinal);
        using var after = await amb.ProxyClient.GetAsync("/api/ok");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static async Task<string> SendRawAsync(Uri address, string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, address.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        var buffer = new byte[8192];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var read = await stream.ReadAsync(buffer, cts.Token);
        return Encoding.ASCII.GetString(buffer, 0, read);
    }
}
