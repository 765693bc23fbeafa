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
