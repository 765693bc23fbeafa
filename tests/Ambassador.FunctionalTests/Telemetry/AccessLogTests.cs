using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Ambassador.FunctionalTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static Ambassador.FunctionalTests.Telemetry.TelemetryTestSupport;

namespace Ambassador.FunctionalTests.Telemetry;

public sealed class AccessLogTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task AccessLog_Enabled_WritesOneJsonLinePerRequestWithoutQuery()
    {
        using var upstream = StartUpstream();
        var output = new CapturingStream();
        var route = UniqueId("log");
        var cluster = UniqueId("cl");
        var settings = Config(route, cluster, upstream.Url!);
        settings["Ambassador:AccessLog:Enabled"] = "true";
        await using var amb = await TestAmbassador.StartAsync(settings, b => b.Services.AddSingleton(output.Sink));
        using var http = RawClient(amb.ProxyAddress);
        using (var health = await amb.AdminClient.GetAsync("/healthz"))
        {
            Assert.Equal(200, (int)health.StatusCode);
        }

        var traceId = ActivityTraceId.CreateRandom();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/items/7?token=secret-value");
        request.Headers.Add("traceparent", Traceparent(traceId, ActivitySpanId.CreateRandom()));
        request.Headers.Add("Authorization", "Bearer secret-header");
        using var response = await http.SendAsync(request);
        Assert.Equal(200, (int)response.StatusCode);

        var line = await WaitForLineAsync(output, 1);
        Assert.Single(output.Lines); // the admin request before it is never logged
        Assert.DoesNotContain("secret", line, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(line);
        var entry = json.RootElement;
        Assert.Equal(
            ["attempts", "cluster", "destination", "duration_ms", "error", "method", "path", "route", "status", "timestamp", "trace_id"],
            entry.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        var timestamp = DateTimeOffset.Parse(entry.GetProperty("timestamp").GetString()!, CultureInfo.InvariantCulture);
        Assert.InRange(timestamp, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Equal(traceId.ToHexString(), entry.GetProperty("trace_id").GetString());
        Assert.Equal("GET", entry.GetProperty("method").GetString());
        Assert.Equal("/api/items/7", entry.GetProperty("path").GetString());
        Assert.Equal(route, entry.GetProperty("route").GetString());
        Assert.Equal(cluster, entry.GetProperty("cluster").GetString());
        Assert.Equal("d1", entry.GetProperty("destination").GetString());
        Assert.Equal(200, entry.GetProperty("status").GetInt32());
        Assert.InRange(entry.GetProperty("duration_ms").GetDouble(), 0.0, 30_000.0);
        Assert.Equal(1, entry.GetProperty("attempts").GetInt32());
        Assert.Equal(JsonValueKind.Null, entry.GetProperty("error").ValueKind);
    }

    [Fact]
    public async Task AccessLog_ErrorsMadeByAmbassador_CarryReasonAndAttempts()
    {
        var output = new CapturingStream();
        var route = UniqueId("logerr");
        var settings = Config(route, UniqueId("cl"), "http://127.0.0.1:1");
        settings["Ambassador:AccessLog:Enabled"] = "true";
        await using var amb = await TestAmbassador.StartAsync(settings, b => b.Services.AddSingleton(output.Sink));
        using var http = RawClient(amb.ProxyAddress);

        using (var downRequest = new HttpRequestMessage(HttpMethod.Get, "/api/down"))
        {
            downRequest.Headers.Add("x-ambassador-retry", "off"); // one attempt, whatever the retry policy
            using var down = await http.SendAsync(downRequest);
            Assert.Equal(502, (int)down.StatusCode);
        }

        using (var unrouted = await http.GetAsync("/elsewhere"))
        {
            Assert.Equal(404, (int)unrouted.StatusCode);
        }

        await WaitForLineAsync(output, 2);
        var entries = output.Lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var failed = entries.Single(e => e.GetProperty("path").GetString() == "/api/down");
        Assert.Equal(502, failed.GetProperty("status").GetInt32());
        Assert.Equal("upstream-unavailable", failed.GetProperty("error").GetString());
        Assert.Equal(1, failed.GetProperty("attempts").GetInt32());
        Assert.Equal(route, failed.GetProperty("route").GetString());

        var noRoute = entries.Single(e => e.GetProperty("path").GetString() == "/elsewhere");
        Assert.Equal(404, noRoute.GetProperty("status").GetInt32());
        Assert.Equal("no-route", noRoute.GetProperty("error").GetString());
        Assert.Equal(0, noRoute.GetProperty("attempts").GetInt32());
        Assert.Equal(JsonValueKind.Null, noRoute.GetProperty("route").ValueKind);
    }

    [Fact]
    public async Task AccessLog_IncludeQuery_LogsQueryString()
    {
        using var upstream = StartUpstream();
        var output = new CapturingStream();
        var settings = Config(UniqueId("logq"), UniqueId("cl"), upstream.Url!);
        settings["Ambassador:AccessLog:Enabled"] = "true";
        settings["Ambassador:AccessLog:IncludeQuery"] = "true";
        await using var amb = await TestAmbassador.StartAsync(settings, b => b.Services.AddSingleton(output.Sink));

        using var response = await amb.ProxyClient.GetAsync("/api/search?q=shoes");
        Assert.Equal(200, (int)response.StatusCode);

        var line = await WaitForLineAsync(output, 1);
        Assert.Equal("?q=shoes", JsonDocument.Parse(line).RootElement.GetProperty("query").GetString());
    }

    [Fact]
    public async Task AccessLog_DisabledByDefault_WritesNothing()
    {
        using var upstream = StartUpstream();
        var output = new CapturingStream();
        var route = UniqueId("nolog");
        await using var amb = await TestAmbassador.StartAsync(Config(route, UniqueId("cl"), upstream.Url!), b => b.Services.AddSingleton(output.Sink));

        using (var response = await amb.ProxyClient.GetAsync("/api/quiet"))
        {
            Assert.Equal(200, (int)response.StatusCode);
        }

        // The request has been fully handled once its metric is visible; the log would have been queued before that.
        await Poll.UntilAsync(async () => Value(await amb.AdminClient.GetStringAsync("/metrics"), "ambassador_requests_total", ("route", route)) == 1,
            Deadline, "the request is counted");
        Assert.Equal(string.Empty, output.Text);
    }

    [Fact]
    public async Task AccessLog_EnabledByHotReload_StartsLogging()
    {
        using var upstream = StartUpstream();
        var output = new CapturingStream();
        var settings = Config(UniqueId("reload"), UniqueId("cl"), upstream.Url!);
        await using var amb = await TestAmbassador.StartAsync(settings, b => b.Services.AddSingleton(output.Sink));

        settings["Ambassador:AccessLog:Enabled"] = "true";
        await amb.RewriteConfigAsync(TestAmbassador.ToJson(settings));

        // Each probe is a real request; once the reload applied, the next one is logged.
        await Poll.UntilAsync(async () =>
        {
            using var response = await amb.ProxyClient.GetAsync("/api/after-reload");
            return output.Lines.Count > 0;
        }, Deadline, "the access log is on after the reload");
        Assert.Equal("/api/after-reload", JsonDocument.Parse(output.Lines[0]).RootElement.GetProperty("path").GetString());
    }

    private static async Task<string> WaitForLineAsync(CapturingStream output, int count)
    {
        await Poll.UntilAsync(() => output.Lines.Count >= count, Deadline, $"{count} access log line(s) are written");
        return output.Lines[count - 1];
    }
}
