using Ambassador.Policies;
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

    [Fact]
    public async Task Affinity_Return503Error_RefusedAttemptIsNotHeldAgainstTheOtherInstances()
    {
        // With Return503Error, YARP's affinity step refuses every instance but the affine one, answering 503 itself.
        // Such an attempt never reached an upstream: it must not count against the breaker of the instance it was
        // pointed at, or one failing affine instance would open every breaker of the cluster.
        const string policy = """
            { "Retry": { "BaseDelay": "00:00:00.001" },
              "CircuitBreaker": { "MinimumThroughput": 2, "FailureRatio": 0.5, "BreakDuration": "00:01:00" } }
            """;
        await using var amb = await TestAmbassador.StartAsync(AffinityConfig(policy, failurePolicy: "Return503Error"));
        var breakers = amb.GetRequiredService<IBreakerStateSource>();
        using var client = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = amb.ProxyAddress };
        var (first, cookie) = await SendAsync(client, null);
        var affineIndex = int.Parse(first[1..], System.Globalization.CultureInfo.InvariantCulture);
        _upstreams[affineIndex].Reset();
        _upstreams[affineIndex].Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(503));
        var before = _upstreams.Sum(u => u.LogEntries.Count());

        for (var i = 0; i < 6; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/item");
            request.Headers.Add("Cookie", cookie);
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        }

        Assert.Equal(BreakerState.Open, breakers.GetState("c", $"d{affineIndex}"));
        for (var i = 0; i < _upstreams.Length; i++)
        {
            if (i != affineIndex)
            {
                Assert.Empty(_upstreams[i].LogEntries);
                Assert.Equal(BreakerState.Closed, breakers.GetState("c", $"d{i}"));
            }
        }

        Assert.InRange(_upstreams.Sum(u => u.LogEntries.Count()) - before, 1, 6);
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

    private string AffinityConfig(
        string policy = """{ "Retry": { "BaseDelay": "00:00:00.001" }, "CircuitBreaker": { "MinimumThroughput": 10000 } }""",
        string failurePolicy = "Redistribute")
    {
        var root = JsonNode.Parse(Config(_upstreams, policy))!;
        root["ReverseProxy"]!["Clusters"]!["c"]!["SessionAffinity"] = new JsonObject
        {
            ["Enabled"] = true,
            ["AffinityKeyName"] = CookieName,
            ["FailurePolicy"] = failurePolicy,
        };
        return root.ToJsonString();
    }
}
