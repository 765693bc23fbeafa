using System.Net;
using System.Text.Json.Nodes;
using Ambassador.FunctionalTests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using static Ambassador.FunctionalTests.Resilience.ResilienceFixtures;

namespace Ambassador.FunctionalTests.Resilience;

/// <summary>YARP's session affinity (cluster <c>SessionAffinity</c>) keeps working with the resilience step in front of it.</summary>
public sealed class SessionAffinityTests : IDisposable
{
    private const string CookieName = "amb-affinity";
    private readonly WireMockServer[] _upstreams = [Upstreams.StartWireMock(), Upstreams.StartWireMock(), Upstreams.StartWireMock()];

    public SessionAffinityTests()
    {
        for (var i = 0; i < _upstreams.Length; i++)
        {
            _upstreams[i].Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody($"u{i}"));
        }
    }

    public void Dispose()
    {
        foreach (var upstream in _upstreams)
        {
            upstream.Stop();
        }
    }

    [Fact]
    public async Task Affinity_CookieFromFirstResponse_PinsLaterRequestsToOneInstance()
    {
        await using var amb = await TestAmbassador.StartAsync(AffinityConfig());
        using var client = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = amb.ProxyAddress };

        var (first, cookie) = await SendAsync(client, null);
        Assert.NotNull(cookie);

        for (var i = 0; i < 8; i++)
        {
            var (body, _) = await SendAsync(client, cookie);
            Assert.Equal(first, body);
        }
    }

    [Fact]
    public async Task Affinity_AffineInstanceFails_RetriedElsewhereAndCookieFollows()
    {
        await using var amb = await TestAmbassador.StartAsync(AffinityConfig());
        using var client = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = amb.ProxyAddress };
        var (first, cookie) = await SendAsync(client, null);
        var affine = _upstreams[int.Parse(first[1..], System.Globalization.CultureInfo.InvariantCulture)];
        affine.Reset();
        affine.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(503));

        var (retried, moved) = await SendAsync(client, cookie);

        Assert.NotEqual(first, retried);
        Assert.Single(affine.LogEntries);
        Assert.NotNull(moved);
        Assert.NotEqual(cookie, moved);
        for (var i = 0; i < 4; i++)
        {
            var (body, _) = await SendAsync(client, moved);
            Assert.Equal(retried, body);
        }
    }

    private static async Task<(string Body, string? Cookie)> SendAsync(HttpClient client, string? cookie)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/item");
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
        }

        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var set = response.Headers.TryGetValues("Set-Cookie", out var values)
            ? values.Select(v => v.Split(';')[0]).FirstOrDefault(v => v.StartsWith(CookieName + "=", StringComparison.Ordinal))
            : null;
        return (await response.Content.ReadAsStringAsync(), set);
    }

    private string AffinityConfig()
    {
        var root = JsonNode.Parse(Config(_upstreams, """{ "Retry": { "BaseDelay": "00:00:00.001" }, "CircuitBreaker": { "MinimumThroughput": 10000 } }"""))!;
        root["ReverseProxy"]!["Clusters"]!["c"]!["SessionAffinity"] = new JsonObject
        {
            ["Enabled"] = true,
            ["AffinityKeyName"] = CookieName,
        };
        return root.ToJsonString();
    }
}
