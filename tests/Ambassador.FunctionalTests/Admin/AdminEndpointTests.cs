using System.Net;
using System.Text.Json;
using Ambassador.FunctionalTests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace Ambassador.FunctionalTests.Admin;

public sealed class AdminEndpointTests
{
    private static string CatchAll(string address, string extra = "") => $$"""
        {
          {{extra}}
          "ReverseProxy": {
            "Routes": { "app": { "ClusterId": "app", "Match": { "Path": "/{**all}" } } },
            "Clusters": { "app": { "Metadata": { "Owner": "team-a", "ApiToken": "s3cr3t-metadata" }, "Destinations": { "d1": { "Address": "{{address}}" } } } }
          }
        }
        """;

    [Fact]
    public async Task AdminPaths_OnProxyPort_AreForwardedToTheAppNotServed()
    {
        using var upstream = Upstreams.StartWireMock();
        upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody("from app"));
        await using var amb = await TestAmbassador.StartAsync(CatchAll(upstream.Address()));

        foreach (var path in new[] { "/healthz", "/readyz", "/metrics", "/admin/config", "/admin/clusters" })
        {
            using var response = await amb.ProxyClient.GetAsync(path);
            Assert.Equal("from app", await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(5, upstream.LogEntries.Count());
    }

    [Fact]
    public async Task AdminPaths_OnProxyPortWithoutCatchAll_Return404NoRoute()
    {
        await using var amb = await TestAmbassador.StartAsync("""{ "ReverseProxy": { "Routes": {}, "Clusters": {} } }""");

        using var response = await amb.ProxyClient.GetAsync("/admin/config");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("no-route", response.Headers.GetValues("x-ambassador-error").Single());
    }

    [Fact]
    public async Task ProxyRoutes_OnAdminPort_AreNotForwarded()
    {
        using var upstream = Upstreams.StartWireMock();
        upstream.Given(Request.Create()).RespondWith(Response.Create().WithStatusCode(200));
        await using var amb = await TestAmbassador.StartAsync(CatchAll(upstream.Address()));

        using var response = await amb.AdminClient.GetAsync("/some/app/path");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Empty(upstream.LogEntries);
    }

    [Fact]
    public async Task Healthz_And_Readyz_AnswerOnAdminPort()
    {
        using var upstream = Upstreams.StartWireMock();
        await using var amb = await TestAmbassador.StartAsync(CatchAll(upstream.Address()));

        using var health = await amb.AdminClient.GetAsync("/healthz");
        using var ready = await amb.AdminClient.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
        Assert.Equal("ready", body.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Readyz_WithClusterWithoutDestinations_Returns503WithReason()
    {
        await using var amb = await TestAmbassador.StartAsync("""
            { "ReverseProxy": { "Routes": { "r": { "ClusterId": "empty", "Match": { "Path": "/{**all}" } } },
                                "Clusters": { "empty": { "Destinations": {} } } } }
            """);

        using var ready = await amb.AdminClient.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        using var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
        Assert.Equal("unready", body.RootElement.GetProperty("status").GetString());
        Assert.Contains("cluster 'empty' has no destinations", body.RootElement.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));
    }

    [Fact]
    public async Task AdminClusters_HasDesignShape_AndCountsRequests()
    {
        using var upstream = Upstreams.StartWireMock();
        upstream.Given(Request.Create().WithPath("/ok")).RespondWith(Response.Create().WithStatusCode(200));
        upstream.Given(Request.Create().WithPath("/fail")).RespondWith(Response.Create().WithStatusCode(500));
        await using var amb = await TestAmbassador.StartAsync(CatchAll(upstream.Address()));
        (await amb.ProxyClient.GetAsync("/ok")).Dispose();
        (await amb.ProxyClient.GetAsync("/ok")).Dispose();
        (await amb.ProxyClient.GetAsync("/fail")).Dispose();

        using var body = JsonDocument.Parse(await amb.AdminClient.GetStringAsync("/admin/clusters"));

        var cluster = Assert.Single(body.RootElement.GetProperty("clusters").EnumerateArray());
        Assert.Equal("app", cluster.GetProperty("id").GetString());
        Assert.Equal("static", cluster.GetProperty("source").GetString());
        Assert.Equal("default", cluster.GetProperty("policy").GetString());
        var destination = Assert.Single(cluster.GetProperty("destinations").EnumerateArray());
        Assert.Equal("d1", destination.GetProperty("id").GetString());
        Assert.Equal(upstream.Address(), destination.GetProperty("address").GetString());
        Assert.Contains(destination.GetProperty("health").GetString(), new[] { "healthy", "unhealthy", "unknown" });
        Assert.Equal("closed", destination.GetProperty("breaker").GetString());
        Assert.Equal(0, destination.GetProperty("inFlight").GetInt32());
        Assert.Equal(3, destination.GetProperty("requests").GetInt64());
        Assert.Equal(1, destination.GetProperty("failures").GetInt64());
    }

    [Fact]
    public async Task AdminConfig_ShowsRoutesAndClusters_WithSecretsRedacted()
    {
        using var upstream = Upstreams.StartWireMock();
        await using var amb = await TestAmbassador.StartAsync(CatchAll(upstream.Address()));

        var text = await amb.AdminClient.GetStringAsync("/admin/config");

        using var body = JsonDocument.Parse(text);
        var route = Assert.Single(body.RootElement.GetProperty("routes").EnumerateArray());
        Assert.Equal("app", route.GetProperty("id").GetString());
        Assert.Equal("/{**all}", route.GetProperty("path").GetString());
        var cluster = Assert.Single(body.RootElement.GetProperty("clusters").EnumerateArray());
        Assert.Equal("team-a", cluster.GetProperty("metadata").GetProperty("Owner").GetString());
        Assert.Equal("***", cluster.GetProperty("metadata").GetProperty("ApiToken").GetString());
        Assert.DoesNotContain("s3cr3t-metadata", text, StringComparison.Ordinal);
    }
}
