using System.Diagnostics;
using Ambassador.FunctionalTests.App;
using Ambassador.FunctionalTests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using static Ambassador.FunctionalTests.Telemetry.TelemetryTestSupport;

namespace Ambassador.FunctionalTests.Telemetry;

[Collection(IsolatedMetricsGroup.Name)]
public sealed class MetricsTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Metrics_AfterTraffic_CountRequestsByRouteClusterAndStatusClass()
    {
        using var upstream = StartOkAndFailingUpstream();
        var route = UniqueId("met");
        var cluster = UniqueId("cl");
        await using var amb = await TestAmbassador.StartAsync(Config(route, cluster, upstream.Url!));

        for (var i = 0; i < 3; i++)
        {
            using var ok = await amb.ProxyClient.GetAsync($"/api/ok/{i}?secret=s{i}");
            Assert.Equal(200, (int)ok.StatusCode);
        }

        for (var i = 0; i < 2; i++)
        {
            using var failed = await amb.ProxyClient.GetAsync($"/api/fail/{i}");
            Assert.Equal(503, (int)failed.StatusCode);
        }

        string metrics = string.Empty;
        await Poll.UntilAsync(async () =>
        {
            metrics = await amb.AdminClient.GetStringAsync("/metrics");
            return Value(metrics, "ambassador_request_duration_seconds_count", ("route", route)) == 5;
        }, Deadline, "/metrics shows the five proxied requests");

        Assert.Equal(3, Value(metrics, "ambassador_requests_total", ("route", route), ("cluster", cluster), ("status_class", "2xx")));
        Assert.Equal(2, Value(metrics, "ambassador_requests_total", ("route", route), ("cluster", cluster), ("status_class", "5xx")));
        Assert.Null(Value(metrics, "ambassador_requests_total", ("route", route), ("status_class", "4xx")));
        Assert.Equal(5, Value(metrics, "ambassador_request_duration_seconds_count", ("route", route), ("cluster", cluster)));
        Assert.True(Value(metrics, "ambassador_request_duration_seconds_sum", ("route", route)) > 0);
        Assert.Equal(5, Value(metrics, "ambassador_request_duration_seconds_bucket", ("route", route), ("le", "+Inf")));
        // The advised sub-millisecond buckets survive the cardinality-limit view.
        Assert.Contains(Samples(metrics, "ambassador_request_duration_seconds_bucket"), s => s.Labels.TryGetValue("le", out var le) && le == "0.0005");

        // Bounded labels: the request label set is exactly route, cluster, status_class (plus the exporter's scope labels).
        foreach (var (labels, _) in Samples(metrics, "ambassador_requests_total").Where(s => s.Labels.GetValueOrDefault("route") == route))
        {
            Assert.Equal(["cluster", "route", "status_class"], labels.Keys.Where(k => !k.StartsWith("otel_", StringComparison.Ordinal)).Order());
        }

        Assert.DoesNotContain("/api/ok", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", metrics, StringComparison.Ordinal);

        // The standard meters are exported beside Ambassador's.
        Assert.Contains("http_server_request_duration_seconds_bucket", metrics, StringComparison.Ordinal);
        Assert.Contains("kestrel_", metrics, StringComparison.Ordinal);
        Assert.Contains("http_client_request_duration_seconds_bucket", metrics, StringComparison.Ordinal);
        Assert.Contains("dotnet_gc_", metrics, StringComparison.Ordinal);
        Assert.Contains("# TYPE ambassador_requests_total counter", metrics, StringComparison.Ordinal);
        Assert.Contains("# TYPE ambassador_request_duration_seconds histogram", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_OnAdminListener_ServedAsPrometheusText()
    {
        using var upstream = StartUpstream();
        await using var amb = await TestAmbassador.StartAsync(Config(UniqueId("txt"), UniqueId("cl"), upstream.Url!));

        using var response = await amb.AdminClient.GetAsync("/metrics");

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("# TYPE", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_OnProxyListener_NotServed()
    {
        using var upstream = StartUpstream();
        await using var amb = await TestAmbassador.StartAsync(Config(UniqueId("nometrics"), UniqueId("cl"), upstream.Url!));

        using var response = await amb.ProxyClient.GetAsync("/metrics");

        // The proxy port routes /metrics like any path; no route matches it here, so it is Ambassador's own 404.
        Assert.Equal(404, (int)response.StatusCode);
        Assert.Equal("no-route", response.Headers.GetValues("x-ambassador-error").Single());
        Assert.DoesNotContain("# TYPE", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_OnProxyListener_WithCatchAllRoute_ForwardedToUpstream()
    {
        using var upstream = StartUpstream("the app's own metrics");
        await using var amb = await TestAmbassador.StartAsync(Config(UniqueId("catch"), UniqueId("cl"), upstream.Url!, path: "/{**rest}"));

        var body = await amb.ProxyClient.GetStringAsync("/metrics");

        Assert.Equal("the app's own metrics", body);
        Assert.Equal("/metrics", Assert.Single(upstream.LogEntries).RequestMessage!.Path);
    }

    [Fact]
    public async Task Metrics_RejectedTelemetryReload_IsCountedInConfigReloads()
    {
        using var upstream = StartUpstream();
        var settings = Config(UniqueId("rel"), UniqueId("cl"), upstream.Url!);
        await using var amb = await TestAmbassador.StartAsync(settings);

        settings["Ambassador:Telemetry:SamplingRatio"] = "2";
        await amb.RewriteConfigAsync(TestAmbassador.ToJson(settings));

        await Poll.UntilAsync(async () => Value(await amb.AdminClient.GetStringAsync("/metrics"), "ambassador_config_reloads_total", ("result", "rejected")) >= 1,
            Deadline, "the rejected reload is counted in ambassador_config_reloads_total");
        Assert.True(amb.Logs.Contains("Ambassador:Telemetry:SamplingRatio: '2' is out of range; use a number from 0 to 1"), amb.Logs.All);
    }

    [PromtoolFact]
    public async Task Metrics_Exposition_PassesPromtoolCheck()
    {
        using var upstream = StartOkAndFailingUpstream();
        var route = UniqueId("prom");
        await using var amb = await TestAmbassador.StartAsync(Config(route, UniqueId("cl"), upstream.Url!));
        using (var ok = await amb.ProxyClient.GetAsync("/api/ok/1"))
        using (var failed = await amb.ProxyClient.GetAsync("/api/fail/1"))
        {
            Assert.Equal(503, (int)failed.StatusCode);
        }

        string metrics = string.Empty;
        await Poll.UntilAsync(async () =>
        {
            metrics = await amb.AdminClient.GetStringAsync("/metrics");
            return Value(metrics, "ambassador_request_duration_seconds_count", ("route", route)) == 2;
        }, Deadline, "/metrics shows the two proxied requests");

        var (exitCode, output) = await Promtool.CheckMetricsAsync(metrics);

        Assert.True(exitCode == 0, $"promtool check metrics exited {exitCode}:\n{output}");
    }

    private static WireMockServer StartOkAndFailingUpstream()
    {
        var server = WireMockServer.Start();
        server.Given(Request.Create().WithPath("/api/ok/*").UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody("ok"));
        server.Given(Request.Create().WithPath("/api/fail/*").UsingGet()).RespondWith(Response.Create().WithStatusCode(503).WithBody("down"));
        return server;
    }
}

/// <summary>Runs only where promtool (Debian package <c>prometheus</c>, installed by <c>.ci/telemetry-deps.sh</c>) is on the PATH.</summary>
public sealed class PromtoolFactAttribute : FactAttribute
{
    public PromtoolFactAttribute()
    {
        if (Promtool.Path is null)
        {
            Skip = "promtool is not installed: run .ci/telemetry-deps.sh (apt-get install prometheus) to check the /metrics exposition";
        }
    }
}

internal static class Promtool
{
    public static string? Path { get; } = Find();

    public static async Task<(int ExitCode, string Output)> CheckMetricsAsync(string exposition)
    {
        using var process = Process.Start(new ProcessStartInfo(Path!, "check metrics")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(exposition);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string? Find()
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(System.IO.Path.PathSeparator))
        {
            var candidate = System.IO.Path.Combine(directory, "promtool");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
