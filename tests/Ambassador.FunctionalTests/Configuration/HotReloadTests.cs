using System.Net;
using System.Text.Json;
using Ambassador.FunctionalTests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace Ambassador.FunctionalTests.Configuration;

public sealed class HotReloadTests
{
    private static string PointAt(string address) => $$"""
        {
          "ReverseProxy": {
            "Routes": { "r": { "ClusterId": "c", "Match": { "Path": "/{**all}" } } },
            "Clusters": { "c": { "Destinations": { "d1": { "Address": "{{address}}" } } } }
          }
        }
        """;

    [Fact]
    public async Task ValidEdit_IsApplied_WithoutDroppingInFlightRequests()
    {
        using var before = Upstreams.StartWireMock();
        using var after = Upstreams.StartWireMock();
        before.Given(Request.Create().WithPath("/slow")).RespondWith(Response.Create().WithDelay(TimeSpan.FromSeconds(2)).WithBody("slow from before"));
        before.Given(Request.Create().WithPath("/x")).RespondWith(Response.Create().WithBody("before"));
        after.Given(Request.Create().WithPath("/x")).RespondWith(Response.Create().WithBody("after"));
        await using var amb = await TestAmbassador.StartAsync(PointAt(before.Address()));
        Assert.Equal("before", await amb.ProxyClient.GetStringAsync("/x"));

        var inFlight = amb.ProxyClient.GetAsync("/slow");
        await amb.RewriteConfigAsync(PointAt(after.Address()));

        await Poll.UntilAsync(async () => await amb.ProxyClient.GetStringAsync("/x") == "after", TimeSpan.FromSeconds(10), "the edited destination takes traffic");
        using var slow = await inFlight;
        Assert.Equal(HttpStatusCode.OK, slow.StatusCode);
        Assert.Equal("slow from before", await slow.Content.ReadAsStringAsync());
        Assert.True(amb.Logs.Contains("Configuration reloaded and applied."));
    }

    [Fact]
    public async Task InvalidEdit_IsRejectedAndLogged_LastGoodKeepsServing()
    {
        using var upstream = Upstreams.StartWireMock();
        upstream.Given(Request.Create().WithPath("/x")).RespondWith(Response.Create().WithBody("good"));
        await using var amb = await TestAmbassador.StartAsync(PointAt(upstream.Address()));

        await amb.RewriteConfigAsync("""
            { "Ambassador": { "Lifecycle": { "DrainTimeout": "ten" } },
              "ReverseProxy": { "Routes": { "r": { "ClusterId": "nope", "Match": { "Path": "/{**all}" } } }, "Clusters": {} } }
            """);

        await Poll.UntilAsync(() => amb.Logs.Contains("Configuration reload rejected (2 problems)"), TimeSpan.FromSeconds(10), "the rejection is logged");
        Assert.True(amb.Logs.Contains("ReverseProxy:Routes:r:ClusterId: no cluster named 'nope'; define it under ReverseProxy:Clusters"));
        Assert.True(amb.Logs.Contains("Ambassador:Lifecycle:DrainTimeout: 'ten' is not a duration"));
        Assert.Equal("good", await amb.ProxyClient.GetStringAsync("/x"));
        using var config = JsonDocument.Parse(await amb.AdminClient.GetStringAsync("/admin/config"));
        Assert.Contains("ReverseProxy:Routes:r:ClusterId: no cluster named 'nope'; define it under ReverseProxy:Clusters",
            config.RootElement.GetProperty("lastRejectedReload").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("c", config.RootElement.GetProperty("routes")[0].GetProperty("clusterId").GetString());
    }

    [Fact]
    public async Task MalformedJsonEdit_IsRejected_LastGoodKeepsServing_ThenAFixedEditApplies()
    {
        using var first = Upstreams.StartWireMock();
        using var second = Upstreams.StartWireMock();
        first.Given(Request.Create().WithPath("/x")).RespondWith(Response.Create().WithBody("first"));
        second.Given(Request.Create().WithPath("/x")).RespondWith(Response.Create().WithBody("second"));
        await using var amb = await TestAmbassador.StartAsync(PointAt(first.Address()));

        await amb.RewriteConfigAsync("{ \"ReverseProxy\": { \"Routes\": ");

        await Poll.UntilAsync(() => amb.Logs.Contains("invalid JSON at line 1"), TimeSpan.FromSeconds(10), "the malformed file is reported");
        Assert.Equal("first", await amb.ProxyClient.GetStringAsync("/x"));

        await amb.RewriteConfigAsync(PointAt(second.Address()));
        await Poll.UntilAsync(async () => await amb.ProxyClient.GetStringAsync("/x") == "second", TimeSpan.FromSeconds(10), "the fixed file applies");
    }
}
