using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Ambassador.FunctionalTests.Infrastructure;
using Xunit.Abstractions;
using static Ambassador.FunctionalTests.TrafficControl.TrafficFixtures;

namespace Ambassador.FunctionalTests.TrafficControl;

public sealed class ConcurrencyLimitsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Limits_FiftyConcurrentToSlowUpstream_TenInFlightFiveQueuedRestOverloadedAtOnce()
    {
        const string policy = """
            { "Retry": { "MaxRetries": 0 },
              "Limits": { "MaxConcurrentRequests": 10, "MaxQueuedRequests": 5, "QueueTimeout": "00:00:30" } }
            """;
        await using var upstream = await ControlledUpstream.StartAsync();
        await using var amb = await TestAmbassador.StartAsync(Config([upstream.Url], policy));
        using var rejections = new CounterProbe(amb.Services, "ambassador.limits.rejections");
        await WarmAsync(amb, 50);
        var warmRejections = rejections.Total;

        upstream.Hold();
        var requests = Enumerable.Range(0, 50).Select(_ => Task.Run(async () =>
        {
            var watch = Stopwatch.StartNew();
            using var response = await amb.ProxyClient.GetAsync("/slow");
            var body = await response.Content.ReadAsStringAsync();
            watch.Stop();
            return (response.StatusCode, Reason: response.Headers.TryGetValues("x-ambassador-error", out var r) ? r.Single() : null,
                response.Content.Headers.ContentType?.MediaType, Body: body, watch.Elapsed);
        })).ToList();

        await Poll.UntilAsync(() => requests.Count(t => t.IsCompleted) == 35 && upstream.Current == 10, TimeSpan.FromSeconds(10),
            "35 requests are turned away while 10 are in flight");
        var cluster = await AdminClusterAsync(amb);
        Assert.Equal(10, cluster.GetProperty("inFlight").GetInt32());
        Assert.Equal(5, cluster.GetProperty("queued").GetInt32());

        upstream.Release();
        var results = await Task.WhenAll(requests);

        Assert.Equal(15, results.Count(r => r.StatusCode == HttpStatusCode.OK));
        var overloaded = results.Where(r => r.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        Assert.Equal(35, overloaded.Count);
        Assert.All(overloaded, r =>
        {
            Assert.Equal("overloaded", r.Reason);
            Assert.Equal("application/problem+json", r.MediaType);
            using var problem = JsonDocument.Parse(r.Body);
            Assert.Equal(
                "Cluster 'c' (route 'r') is overloaded: Limits:MaxConcurrentRequests (10) in flight and Limits:MaxQueuedRequests (5) queued.",
                problem.RootElement.GetProperty("detail").GetString());
        });
        var slowest = overloaded.Max(r => r.Elapsed);
        var median = overloaded.Select(r => r.Elapsed).Order().ElementAt(overloaded.Count / 2);
        output.WriteLine($"upstream concurrency seen: {upstream.MaxConcurrent}; rejection latency median {median.TotalMilliseconds:0.0} ms, max {slowest.TotalMilliseconds:0.0} ms");
        Assert.True(slowest < TimeSpan.FromMilliseconds(100), $"the slowest rejection took {slowest.TotalMilliseconds:0.0} ms");
        Assert.Equal(10, upstream.MaxConcurrent);
        Assert.Equal(35, rejections.Total - warmRejections);
    }

    [Fact]
    public async Task Limits_EnabledFalse_NoRequestTurnedAway()
    {
        // The same limits that would let one request through and turn the others away, switched off.
        const string policy = """
            { "Retry": { "MaxRetries": 0 },
              "Limits": { "Enabled": false, "MaxConcurrentRequests": 1, "MaxQueuedRequests": 0 } }
            """;
        await using var upstream = await ControlledUpstream.StartAsync();
        await using var amb = await TestAmbassador.StartAsync(Config([upstream.Url], policy));
        await WarmAsync(amb, 5);
        upstream.Hold();
        var requests = Enumerable.Range(0, 5).Select(_ => amb.ProxyClient.GetAsync("/held")).ToList();

        await Poll.UntilAsync(() => upstream.Current == 5, TimeSpan.FromSeconds(10), "all five requests reach the upstream at once");
        upstream.Release();
        var responses = await Task.WhenAll(requests);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(5, upstream.MaxConcurrent);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task Limits_QueuedLongerThanQueueTimeout_503Overloaded()
    {
        const string policy = """
            { "Retry": { "MaxRetries": 0 },
              "Limits": { "MaxConcurrentRequests": 1, "MaxQueuedRequests": 1, "QueueTimeout": "00:00:00.300" } }
            """;
        await using var upstream = await ControlledUpstream.StartAsync();
        await using var amb = await TestAmbassador.StartAsync(Config([upstream.Url], policy));
        upstream.Hold();
        var holding = amb.ProxyClient.GetAsync("/held");
        await Poll.UntilAsync(() => upstream.Current == 1, TimeSpan.FromSeconds(5), "the first request holds the only place");

        var watch = Stopwatch.StartNew();
        using var queued = await amb.ProxyClient.GetAsync("/queued");
        watch.Stop();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, queued.StatusCode);
        Assert.Equal("overloaded", queued.Headers.GetValues("x-ambassador-error").Single());
        using var problem = JsonDocument.Parse(await queued.Content.ReadAsStringAsync());
        Assert.Equal(
            "Cluster 'c' (route 'r') is overloaded: the request waited longer than Limits:QueueTimeout (00:00:00.3000000) for one of Limits:MaxConcurrentRequests (1).",
            problem.RootElement.GetProperty("detail").GetString());
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(3));
        Assert.Equal(1, upstream.Hits);

        upstream.Release();
        using var first = await holding;
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
    }

    [Fact]
    public async Task Limits_RetryStormAgainstFailingUpstream_RetriesInFlightBoundedByRetryLimit()
    {
        // Every request fails after 300 ms and wants a retry; the budget would allow all of them, the retry limit two at once.
        const int wave = 20;
        const string policy = """
            { "Retry": { "MaxRetries": 1, "BaseDelay": "00:00:00.001", "MaxDelay": "00:00:00.002", "Budget": { "Ratio": 1, "MinPerSecond": 1000 } },
              "CircuitBreaker": { "MinimumThroughput": 10000, "ConsecutiveFailures": 0 },
              "Limits": { "MaxConcurrentRetries": 2 } }
            """;
        await using var a = await ControlledUpstream.StartAsync();
        await using var b = await ControlledUpstream.StartAsync();
        await using var amb = await TestAmbassador.StartAsync(Config([a.Url, b.Url], policy));
        using var rejections = new CounterProbe(amb.Services, "ambassador.limits.rejections");
        using var retries = new CounterProbe(amb.Services, "ambassador.retries");
        await WarmAsync(amb, wave);
        foreach (var upstream in new[] { a, b })
        {
            upstream.StatusCode = 503;
            upstream.Delay = TimeSpan.FromMilliseconds(300);
        }

        // The whole first wave is in flight before any of it fails, so every arrival after it is a retry.
        a.Hold();
        b.Hold();
        var requests = Enumerable.Range(0, wave).Select(_ => amb.ProxyClient.GetAsync("/storm")).ToList();
        await Poll.UntilAsync(() => a.Current + b.Current == wave, TimeSpan.FromSeconds(10), "the first wave reaches the upstreams");
        var retriesInFlight = new ConcurrencyGauge();
        (a.WaveSize, a.AfterWave) = (a.Hits, retriesInFlight);
        (b.WaveSize, b.AfterWave) = (b.Hits, retriesInFlight);
        a.Release();
        b.Release();
        foreach (var response in await Task.WhenAll(requests))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            response.Dispose();
        }

        var retriesSeen = a.Hits + b.Hits - wave;
        Assert.Equal(retries.Total, retriesSeen);
        Assert.InRange(retriesInFlight.Max, 1, 2);
        Assert.Equal(wave - retriesSeen, rejections.Total);
        Assert.True(rejections.Total >= wave - 4, $"{rejections.Total} retries refused by the limit");
        output.WriteLine($"retries in flight at most {retriesInFlight.Max}; {retriesSeen} retries made, {rejections.Total} refused");
    }
}
