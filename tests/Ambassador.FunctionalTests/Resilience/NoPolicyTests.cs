using System.Net;
using System.Text.Json.Nodes;
using Ambassador.FunctionalTests.Infrastructure;
using Ambassador.Hosting;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using static Ambassador.FunctionalTests.Resilience.ResilienceFixtures;

namespace Ambassador.FunctionalTests.Resilience;

/// <summary>A cluster whose metadata names <c>"Policy": "none"</c> gets no resilience step at all.</summary>
public sealed class NoPolicyTests : IDisposable
{
    private const string FastRetries = $$"""{ "Retry": { "BaseDelay": "00:00:00.001", "MaxDelay": "00:00:00.010" }, {{NeverBreak}} }""";

    private readonly WireMockServer _failing = WireMockServer.Start();

    public NoPolicyTests() =>
        _failing.Given(Request.Create().UsingAnyMethod()).RespondWith(Response.Create().WithStatusCode(503).WithBody("down"));

    public void Dispose() => _failing.Stop();

    [Fact]
    public async Task Get_PolicyNone_UpstreamAnswerPassedOnWithoutRetry()
    {
        await using var amb = await TestAmbassador.StartAsync(WithPolicy(Config([_failing], FastRetries), "none"));

        using var response = await amb.ProxyClient.GetAsync("/items/1");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("down", await response.Content.ReadAsStringAsync());
        Assert.False(response.Headers.Contains(ProxyProblem.ErrorHeader));
        Assert.Equal(1, _failing.Hits());
    }

    [Fact]
    public async Task Get_SameClusterWithPolicy_Retried()
    {
        // The control for the test above: the same upstream and policy, named, is retried (2 retries by default).
        await using var amb = await TestAmbassador.StartAsync(Config([_failing], FastRetries));

        using var response = await amb.ProxyClient.GetAsync("/items/1");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(3, _failing.Hits());
    }

    [Fact]
    public async Task Get_PolicyNoneAndUnreachableUpstream_UpstreamUnavailableProblem()
    {
        var config = WithPolicy(Config([_failing], FastRetries), "none");
        var root = JsonNode.Parse(config)!;
        root["ReverseProxy"]!["Clusters"]!["c"]!["Destinations"]!["d0"]!["Address"] = "http://127.0.0.1:1/";
        await using var amb = await TestAmbassador.StartAsync(root.ToJsonString());

        using var response = await amb.ProxyClient.GetAsync("/items/1");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("upstream-unavailable", Assert.Single(response.Headers.GetValues(ProxyProblem.ErrorHeader)));
    }

    [Fact]
    public async Task Validate_PolicyNone_ExitZero()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("ambassador-policy-").FullName, "none.json");
        await File.WriteAllTextAsync(path, """
            {
              "ReverseProxy": {
                "Routes": { "r": { "ClusterId": "inventory", "Match": { "Path": "{**catch-all}" } } },
                "Clusters": { "inventory": { "Metadata": { "Policy": "none" }, "Destinations": { "d": { "Address": "http://127.0.0.1:1/" } } } }
              }
            }
            """);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exit = await AmbassadorHost.RunAsync(["validate", path], stdout, stderr);

        Assert.True(exit == 0, stderr.ToString());
    }

    private static string WithPolicy(string config, string policy)
    {
        var root = JsonNode.Parse(config)!;
        root["ReverseProxy"]!["Clusters"]!["c"]!["Metadata"]!["Policy"] = policy;
        return root.ToJsonString();
    }
}
