using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using Ambassador.FunctionalTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using Xunit.Abstractions;
using static Ambassador.FunctionalTests.Resilience.ResilienceFixtures;

namespace Ambassador.FunctionalTests.Resilience;

public sealed class BudgetAndTimeoutTests : IDisposable
{
    private readonly ITestOutputHelper _output;

    private readonly WireMockServer _failing = WireMockServer.Start();
    private readonly WireMockServer _healthy = WireMockServer.Start();

    public BudgetAndTimeoutTests(ITestOutputHelper output)
    {
        _output = output;
        _failing.Given(Request.Create().UsingAnyMethod()).RespondWith(Response.Create().WithStatusCode(503));
        _healthy.Given(Request.Create().UsingAnyMethod()).RespondWith(Response.Create().WithStatusCode(200).WithBody("ok"));
    }

    public void Dispose()
    {
        _failing.Stop();
        _healthy.Stop();
    }

    [Fact]
    public async Task Budget_FullyFailingUpstream_CapsAttempts()
    {
        const int requests = 50;
        const double ratio = 0.2;
        const int minPerSecond = 1;
        var policy = $$"""
            { "Retry": { "MaxRetries": 3, "BaseDelay": "00:00:00.001", "MaxDelay": "00:00:00.002",
                         "Budget": { "Ratio": {{ratio}}, "MinPerSecond": {{minPerSecond}} } },
              {{NeverBreak}} }
            """;
        await using var amb = await TestAmbassador.StartAsync(Config([_failing], policy));
        using var refusals = new CounterProbe(amb.Services, "ambassador.retry_budget.refusals");
        using var retries = new CounterProbe(amb.Services, "ambassador.retries");

        for (var i = 0; i < requests; i++)
        {
            using var response = await amb.ProxyClient.GetAsync("/x");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        }

        // Within the 10 s window: retries <= Ratio x requests + MinPerSecond x 10 (without a budget: 4 x 50 = 200 attempts).
        var floor = minPerSecond * 10;
        var cap = (int)Math.Floor(((1 + ratio) * requests) + floor);
        Assert.InRange(_failing.Hits(), requests + floor, cap);
        Assert.True(refusals.Total > 0, "refusals are counted");
        Assert.Equal(_failing.Hits() - requests, retries.Total);
    }

    [Fact]
    public async Task TotalTimeout_SlowUpstream_504WithinTotal()
    {
        // Five retries of 1 s each would take 6 s; Total cuts the request at 1.5 s, in the middle of the second attempt.
        var total = TimeSpan.FromSeconds(1.5);
        const string policy = """
            { "Retry": { "MaxRetries": 5, "BaseDelay": "00:00:00.001" },
              "CircuitBreaker": { "MinimumThroughput": 10000 },
              "Timeout": { "PerTry": "00:00:01", "Total": "00:00:01.500" } }
            """;
        await using var slow = await HangingUpstream.StartAsync();
        await using var amb = await TestAmbassador.StartAsync(WithDestination(Config([], policy), "slow", slow.Url));
        using (await amb.ProxyClient.GetAsync("/warm-up"))
        {
        }

        var startedBefore = slow.Started;
        var watch = Stopwatch.StartNew();
        using var response = await amb.ProxyClient.GetAsync("/x");
        watch.Stop();

        _output.WriteLine($"504 after {watch.Elapsed.TotalMilliseconds:0} ms (Total {total.TotalMilliseconds:0} ms)");
        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("upstream-timeout", response.Headers.GetValues("x-ambassador-error").Single());
        Assert.True(watch.Elapsed >= total - TimeSpan.FromMilliseconds(50), $"answered after {watch.Elapsed.TotalMilliseconds:0} ms, before Total");
        Assert.InRange(slow.Started - startedBefore, 1, 2);

        // Total + 200 ms is the target; a loaded 2-core build machine gets generous slack, still far below the 6 s
        // the retries would take without Total.
        Assert.True(watch.Elapsed <= total + TimeSpan.FromMilliseconds(1500), $"answered after {watch.Elapsed.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task PerTryTimeout_OneSlowInstance_RetriedOnAnother()
    {
        const string policy = """
            { "Retry": { "BaseDelay": "00:00:00.001" }, "CircuitBreaker": { "MinimumThroughput": 10000 },
              "Timeout": { "PerTry": "00:00:00.300", "Total": "00:00:05" } }
            """;
        await using var slow = await HangingUpstream.StartAsync();
        await using var amb = await TestAmbassador.StartAsync(WithDestination(Config([_healthy], policy), "slow", slow.Url));

        for (var i = 0; i < 6; i++)
        {
            var watch = Stopwatch.StartNew();
            using var response = await amb.ProxyClient.GetAsync("/x");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed.TotalMilliseconds:0} ms");
        }

        Assert.InRange(slow.Started, 1, 6);
        await Poll.UntilAsync(() => slow.Cancelled == slow.Started, TimeSpan.FromSeconds(5), "every timed-out attempt is cancelled upstream");
        Assert.Equal(6, _healthy.Hits());
    }

    [Fact]
    public async Task PerTryTimeout_BodyStreamingLongerThanPerTry_ReachesClientWhole()
    {
        // PerTry bounds the wait for response headers (Envoy's per_try_timeout); a body already streaming is left to
        // Total. The upstream answers at once and streams for ~1.25 s, four times PerTry.
        const string policy = """
            { "Retry": { "BaseDelay": "00:00:00.001" }, "CircuitBreaker": { "MinimumThroughput": 10000 },
              "Timeout": { "PerTry": "00:00:00.300", "Total": "00:00:10" } }
            """;
        await using var streaming = await StreamingUpstream.StartAsync();
        await using var amb = await TestAmbassador.StartAsync(WithDestination(Config([], policy), "stream", streaming.Url));

        using var response = await amb.ProxyClient.GetAsync("/download");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(StreamingUpstream.Body, body);
        await Poll.UntilAsync(() => streaming.Completed == 1, TimeSpan.FromSeconds(5), "the upstream finished its body");
        Assert.Equal(0, streaming.Aborted);
    }

    [Fact]
    public async Task TotalTimeout_BodyStreamingLongerThanTotal_IsCutAndProxyStaysUp()
    {
        // Total still bounds a streaming body: once the status went out, the only honest end is to cut the stream.
        const string policy = """
            { "Retry": { "BaseDelay": "00:00:00.001" }, "CircuitBreaker": { "MinimumThroughput": 10000 },
              "Timeout": { "PerTry": "00:00:00.300", "Total": "00:00:00.600" } }
            """;
        await using var streaming = await StreamingUpstream.StartAsync();
        await using var amb = await TestAmbassador.StartAsync(WithDestination(Config([], policy), "stream", streaming.Url));

        using var response = await amb.ProxyClient.GetAsync("/download", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Assert.ThrowsAsync<HttpRequestException>(() => response.Content.ReadAsStringAsync());

        await Poll.UntilAsync(() => streaming.Aborted == 1, TimeSpan.FromSeconds(5), "the upstream stream is cancelled");
        using var after = await amb.AdminClient.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task PerTryTimeout_NotRetryablePost_504()
    {
        const string policy = """{ "Timeout": { "PerTry": "00:00:00.300", "Total": "00:00:05" } }""";
        await using var slow = await HangingUpstream.StartAsync();
        await using var amb = await TestAmbassador.StartAsync(WithDestination(Config([], policy), "slow", slow.Url));

        var watch = Stopwatch.StartNew();
        using var response = await amb.ProxyClient.PostAsync("/x", new StringContent("x"));
        watch.Stop();

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("upstream-timeout", response.Headers.GetValues("x-ambassador-error").Single());
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed.TotalMilliseconds:0} ms");
        Assert.Equal(1, slow.Started);
    }

    [Fact]
    public async Task ClientAbort_CancelsUpstreamCall()
    {
        await using var upstream = await HangingUpstream.StartAsync();
        await using var amb = await TestAmbassador.StartAsync(WithDestination(Config([], "{}"), "d0", upstream.Url));

        using var client = new HttpClient { BaseAddress = amb.ProxyAddress, Timeout = TimeSpan.FromMilliseconds(300) };
        await Assert.ThrowsAnyAsync<TaskCanceledException>(() => client.GetAsync("/hang"));

        await Poll.UntilAsync(() => upstream.Cancelled > 0, TimeSpan.FromSeconds(5), "the upstream request is cancelled");
        Assert.Equal(1, upstream.Started);
    }
}
