using System.Net;
using System.Text.Json;
using Ambassador.FunctionalTests.Infrastructure;

namespace Ambassador.FunctionalTests.App;

/// <summary><c>Ambassador:App</c> through the real host: probing, <c>/admin/app</c>, the gauge and the readiness gate.</summary>
[Collection(IsolatedMetricsGroup.Name)]
public sealed class AppHealthTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private static string Config(TestApp app, string extra = "") => $$"""
        {
          "Ambassador": { "App": { "Address": "{{app.Uri.GetLeftPart(UriPartial.Authority)}}", "HealthPath": "/health",
            "Health": { "Interval": "00:00:00.100", "Timeout": "00:00:00.100" } {{extra}} } },
          "ReverseProxy": {
            "Routes": { "r": { "ClusterId": "c", "Match": { "Path": "/{**all}" } } },
            "Clusters": { "c": { "Destinations": { "d1": { "Address": "{{app.Address}}" } } } }
          }
        }
        """;

    private static async Task<JsonElement> GetAppAsync(TestAmbassador amb)
    {
        using var response = await amb.AdminClient.GetAsync("/admin/app");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>The value of the <c>ambassador_app_healthy</c> sample, or null when there is none.</summary>
    private static async Task<string?> GaugeAsync(TestAmbassador amb) =>
        (await amb.AdminClient.GetStringAsync("/metrics")).Split('\n')
            .FirstOrDefault(l => l.StartsWith("ambassador_app_healthy{", StringComparison.Ordinal))?.Split(' ')[1];

    private static async Task<string> HealthAsync(TestAmbassador amb) => (await GetAppAsync(amb)).GetProperty("health").GetString()!;

    [Fact]
    public async Task AdminApp_HealthyApp_ShowsProbeAndGaugeIsOne()
    {
        await using var app = await TestApp.StartAsync();
        await using var amb = await TestAmbassador.StartAsync(Config(app));

        await Poll.UntilAsync(async () => await HealthAsync(amb) == "healthy", Deadline, "the app is probed healthy");
        var view = await GetAppAsync(amb);
        Assert.Equal(app.Uri.GetLeftPart(UriPartial.Authority) + "/", view.GetProperty("address").GetString());
        Assert.Equal("/health", view.GetProperty("healthPath").GetString());
        Assert.False(view.GetProperty("readinessGate").GetBoolean());
        Assert.Equal("passing", view.GetProperty("lastProbe").GetProperty("outcome").GetString());
        Assert.Equal(200, view.GetProperty("lastProbe").GetProperty("status").GetInt32());
        Assert.Equal("HTTP 200", view.GetProperty("lastProbe").GetProperty("detail").GetString());
        Assert.NotEmpty(app.Probes);

        await Poll.UntilAsync(async () => await GaugeAsync(amb) == "1", Deadline, "the gauge reads 1 (the exporter caches a scrape briefly)");
    }

    [Fact]
    public async Task Readyz_GateOn_FollowsAppHealthWithReason()
    {
        await using var app = await TestApp.StartAsync();
        await using var amb = await TestAmbassador.StartAsync(Config(app, """, "ReadinessGate": true"""));

        await Poll.UntilAsync(async () => (await amb.AdminClient.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK, Deadline, "ready once the app is healthy");

        app.HealthStatus = 503;
        await Poll.UntilAsync(async () => (await amb.AdminClient.GetAsync("/readyz")).StatusCode == HttpStatusCode.ServiceUnavailable, Deadline, "unready while the app is unhealthy");
        using var unready = await amb.AdminClient.GetAsync("/readyz");
        var body = JsonDocument.Parse(await unready.Content.ReadAsStringAsync()).RootElement;
        var reason = Assert.Single(body.GetProperty("reasons").EnumerateArray()).GetString()!;
        Assert.StartsWith("app is unhealthy (Ambassador:App:ReadinessGate is on): unhealthy: GET " + app.Uri.GetLeftPart(UriPartial.Authority) + "/health HTTP 503", reason, StringComparison.Ordinal);
        await Poll.UntilAsync(async () => await GaugeAsync(amb) == "0", Deadline, "the gauge reads 0 (the exporter caches a scrape briefly)");

        app.HealthStatus = 200;
        await Poll.UntilAsync(async () => (await amb.AdminClient.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK, Deadline, "ready again once the app recovers");
    }

    [Fact]
    public async Task Readyz_GateOff_IgnoresUnhealthyApp()
    {
        await using var app = await TestApp.StartAsync();
        app.HealthStatus = 500;
        await using var amb = await TestAmbassador.StartAsync(Config(app));

        await Poll.UntilAsync(async () => await HealthAsync(amb) == "unhealthy", Deadline, "the app is probed unhealthy");
        using var ready = await amb.AdminClient.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("from app", await amb.ProxyClient.GetStringAsync("/anything"));
    }

    [Fact]
    public async Task AppDown_ConnectionRefused_IsUnhealthyAfterThreshold()
    {
        var port = Discovery.ConsulStub.FreePort();
        await using var amb = await TestAmbassador.StartAsync($$"""
            { "Ambassador": { "App": { "Address": "http://127.0.0.1:{{port}}", "HealthPath": "/health",
                "Health": { "Interval": "00:00:00.050", "Timeout": "00:00:00.050", "UnhealthyThreshold": 3 } } },
              "ReverseProxy": { "Routes": {}, "Clusters": {} } }
            """);

        await Poll.UntilAsync(async () => await HealthAsync(amb) == "unhealthy", Deadline, "a refusing app is unhealthy");
        var view = await GetAppAsync(amb);
        Assert.True(view.GetProperty("consecutiveFailures").GetInt32() >= 3);
        Assert.Equal("connection refused", view.GetProperty("lastProbe").GetProperty("detail").GetString());
        Assert.True(amb.Logs.Contains($"App at http://127.0.0.1:{port}/health is unhealthy (was Unknown; last probe: connection refused)"), amb.Logs.All);
    }

    [Fact]
    public async Task NoAppSection_AdminAppIs404_ReadyzAndMetricsUnchanged()
    {
        await using var app = await TestApp.StartAsync();
        await using var amb = await TestAmbassador.StartAsync($$"""
            { "ReverseProxy": { "Routes": { "r": { "ClusterId": "c", "Match": { "Path": "/{**all}" } } },
              "Clusters": { "c": { "Destinations": { "d1": { "Address": "{{app.Address}}" } } } } } }
            """);

        using var response = await amb.AdminClient.GetAsync("/admin/app");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("no app configured; set Ambassador:App:Address", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.OK, (await amb.AdminClient.GetAsync("/readyz")).StatusCode);
        Assert.Null(await GaugeAsync(amb));
        Assert.Empty(app.Probes);
    }

    [Fact]
    public async Task NoHealthPath_AppIsHealthyWithoutProbes()
    {
        await using var app = await TestApp.StartAsync();
        await using var amb = await TestAmbassador.StartAsync($$"""
            { "Ambassador": { "App": { "Address": "{{app.Uri.GetLeftPart(UriPartial.Authority)}}", "ReadinessGate": true } },
              "ReverseProxy": { "Routes": {}, "Clusters": {} } }
            """);

        await Poll.UntilAsync(async () => await HealthAsync(amb) == "healthy", Deadline, "an unprobed app counts as healthy");
        Assert.Equal(HttpStatusCode.OK, (await amb.AdminClient.GetAsync("/readyz")).StatusCode);
        Assert.Empty(app.Probes);
    }
}
