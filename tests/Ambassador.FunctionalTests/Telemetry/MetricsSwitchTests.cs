using System.Net;
using System.Text.Json;
using Ambassador.FunctionalTests.Infrastructure;
using static Ambassador.FunctionalTests.Telemetry.TelemetryTestSupport;

namespace Ambassador.FunctionalTests.Telemetry;

public sealed class MetricsSwitchTests
{
    [Fact]
    public async Task Metrics_SwitchedOff_MetricsEndpointNotFoundAndProxyServes()
    {
        using var upstream = StartUpstream();
        var settings = Config(UniqueId("off"), UniqueId("cl"), upstream.Url!);
        settings["Ambassador:Telemetry:Metrics"] = "false";
        await using var amb = await TestAmbassador.StartAsync(settings);

        using var proxied = await amb.ProxyClient.GetAsync("/api/items");
        using var metrics = await amb.AdminClient.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, proxied.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, metrics.StatusCode);
    }

    [Fact]
    public async Task Metrics_NotABoolean_RejectedNamingTheKey()
    {
        var settings = Config(UniqueId("bad"), UniqueId("cl"), "http://127.0.0.1:1");
        settings["Ambassador:Telemetry:Metrics"] = "maybe";

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => TestAmbassador.StartAsync(settings));

        Assert.Contains("Ambassador:Telemetry:Metrics: 'maybe' is not a boolean; use true or false", error.Message, StringComparison.Ordinal);
    }

    // The standard series that repeat others in a sidecar (one upstream request per proxied one, the pool's connection
    // gauge, route matches) are recorded only when DetailedMetrics asks for them; the rest of the standard meters stay.
    [Theory]
    [InlineData(null, false)]
    [InlineData("false", false)]
    [InlineData("true", true)]
    public async Task DetailedMetrics_StandardRepeatingSeries_RecordedOnlyWhenOn(string? detailed, bool expected)
    {
        using var upstream = StartUpstream();
        var route = UniqueId("det");
        var settings = Config(route, UniqueId("cl"), upstream.Url!);
        if (detailed is not null)
        {
            settings["Ambassador:Telemetry:DetailedMetrics"] = detailed;
        }

        await using var amb = await TestAmbassador.StartAsync(settings);
        using var proxied = await amb.ProxyClient.GetAsync("/api/items");
        Assert.Equal(HttpStatusCode.OK, proxied.StatusCode);

        var metrics = string.Empty;
        await Poll.UntilAsync(async () =>
        {
            metrics = await amb.AdminClient.GetStringAsync("/metrics");
            return Value(metrics, "ambassador_requests_total", ("route", route)) == 1
                && metrics.Contains("http_client_request_duration_seconds_bucket", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(15), "/metrics shows the proxied request");

        Assert.Contains("http_server_active_requests", metrics, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration_seconds_bucket", metrics, StringComparison.Ordinal);
        Assert.Contains("kestrel_active_connections", metrics, StringComparison.Ordinal);
        foreach (var series in new[] { "http_client_active_requests", "http_client_open_connections", "aspnetcore_routing_match_attempts" })
        {
            Assert.True(expected == metrics.Contains(series, StringComparison.Ordinal), $"{series} present: {!expected}");
        }
    }

    [Fact]
    public async Task DetailedMetrics_NotABoolean_RejectedNamingTheKey()
    {
        var settings = Config(UniqueId("bad"), UniqueId("cl"), "http://127.0.0.1:1");
        settings["Ambassador:Telemetry:DetailedMetrics"] = "sometimes";

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => TestAmbassador.StartAsync(settings));

        Assert.Contains("Ambassador:Telemetry:DetailedMetrics: 'sometimes' is not a boolean; use true or false", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminMemory_AfterRequests_AllocatedBytesGrow()
    {
        using var upstream = StartUpstream();
        await using var amb = await TestAmbassador.StartAsync(Config(UniqueId("mem"), UniqueId("cl"), upstream.Url!));

        var before = await AllocatedAsync(amb);
        for (var i = 0; i < 10; i++)
        {
            using var response = await amb.ProxyClient.GetAsync("/api/items");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.True(await AllocatedAsync(amb) > before);
    }

    private static async Task<long> AllocatedAsync(TestAmbassador amb)
    {
        using var body = JsonDocument.Parse(await amb.AdminClient.GetStringAsync("/admin/memory"));
        Assert.True(body.RootElement.GetProperty("gen0Collections").GetInt32() >= 0);
        return body.RootElement.GetProperty("allocatedBytes").GetInt64();
    }
}
