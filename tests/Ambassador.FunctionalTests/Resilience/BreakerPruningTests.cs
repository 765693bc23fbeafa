using Ambassador.FunctionalTests.Infrastructure;
using Ambassador.Policies.CircuitBreaker;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace Ambassador.FunctionalTests.Resilience;

public sealed class BreakerPruningTests
{
    private static string Config(params (string Id, string Address)[] destinations) => $$"""
        {
          "ReverseProxy": {
            "Routes": { "r": { "ClusterId": "pool", "Match": { "Path": "/{**all}" } } },
            "Clusters": { "pool": { "LoadBalancingPolicy": "RoundRobin", "Destinations": { {{string.Join(", ", destinations.Select(d => $"\"{d.Id}\": {{ \"Address\": \"{d.Address}\" }}"))}} } } }
          }
        }
        """;

    [Fact]
    public async Task DestinationLeavingTheCluster_LosesItsBreaker_StayingOneKeepsIt()
    {
        using var a = Upstreams.StartWireMock();
        using var b = Upstreams.StartWireMock();
        a.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200));
        b.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200));
        await using var amb = await TestAmbassador.StartAsync(Config(("a", a.Address()), ("b", b.Address())));
        var registry = amb.GetRequiredService<DestinationBreakerRegistry>();
        for (var i = 0; i < 4; i++)
        {
            (await amb.ProxyClient.GetAsync("/x")).Dispose();
        }

        var breakerOfB = registry.Find("pool", "b");
        Assert.NotNull(registry.Find("pool", "a"));
        Assert.NotNull(breakerOfB);

        await amb.RewriteConfigAsync(Config(("b", b.Address())));

        await Poll.UntilAsync(() => registry.Find("pool", "a") is null, TimeSpan.FromSeconds(10), "the removed destination's breaker is forgotten");
        Assert.Same(breakerOfB, registry.Find("pool", "b"));
    }
}
