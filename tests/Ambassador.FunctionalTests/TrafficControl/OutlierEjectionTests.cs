using System.Diagnostics;
using System.Globalization;
using System.Net;
using Ambassador.FunctionalTests.Infrastructure;
using Ambassador.Policies;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;
using static Ambassador.FunctionalTests.TrafficControl.TrafficFixtures;

namespace Ambassador.FunctionalTests.TrafficControl;

public sealed class OutlierEjectionTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Breaker_FiveConsecutive503sAfterLongHealthyHistory_Opens()
    {
        // The demo's case: a long healthy history keeps the failure ratio low; five failures in a row are enough.
        const string policy = """{ "Retry": { "MaxRetries": 0 } }""";
        await using var failing = await ControlledUpstream.StartAsync();
        await using var healthy = await ControlledUpstream.StartAsync();
        await using var amb = await TestAmbassador.StartAsync(Config([failing.Url, healthy.Url], policy));
        var breakers = amb.GetRequiredService<IBreakerStateSource>();
        for (var i = 0; i < 200; i++)
        {
            using var response = await amb.ProxyClient.GetAsync("/x");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        failing.StatusCode = 503;
        failing.ResetCounts();
        for (var i = 0; i < 30; i++)
        {
            using var response = await amb.ProxyClient.GetAsync("/x");
        }

        Assert.Equal(BreakerState.Open, breakers.GetState("c", "d0"));
        Assert.Equal(5, failing.Hits);
        var destination = await AdminDestinationAsync(amb, "d0");
        Assert.Equal("open", destination.GetProperty("breaker").GetString());
        Assert.Equal(1, destination.GetProperty("ejections").GetInt32());
        Assert.True(destination.GetProperty("returnsAt").GetDateTimeOffset() > DateTimeOffset.UtcNow);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, (await AdminDestinationAsync(amb, "d1")).GetProperty("returnsAt").ValueKind);
    }

    [Fact]
    public async Task Breaker_InstanceKilledUnderLoad_EjectedWithinOneSecond()
    {
        const string policy = """{ "Retry": { "BaseDelay": "00:00:00.001", "MaxDelay": "00:00:00.005" } }""";
        await using var survivor = await ControlledUpstream.StartAsync();
        await using var victim = await ControlledUpstream.StartAsync();
        await using var amb = await TestAmbassador.StartAsync(Config([survivor.Url, victim.Url], policy, loadBalancing: "PowerOfTwoChoices"));
        var breakers = amb.GetRequiredService<IBreakerStateSource>();
        var stats = amb.GetRequiredService<DestinationStatsRegistry>();

        // A bounded load loop: 4 clients for at most 3 s; completions are time-stamped to compare throughput.
        var clock = Stopwatch.StartNew();
        var completions = new System.Collections.Concurrent.ConcurrentQueue<(TimeSpan At, bool Ok)>();
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested && clock.Elapsed < TimeSpan.FromSeconds(3))
            {
                using var response = await amb.ProxyClient.GetAsync("/x");
                completions.Enqueue((clock.Elapsed, response.StatusCode == HttpStatusCode.OK));
            }
        })).ToList();

        await Poll.UntilAsync(() => clock.Elapsed > TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), "the load runs for a second");
        var killedAt = clock.Elapsed;
        await victim.KillAsync();
        await Poll.UntilAsync(() => breakers.GetState("c", "d1") == BreakerState.Open, TimeSpan.FromSeconds(3), "the killed instance is ejected");
        var ejectedAfter = clock.Elapsed - killedAt;
        var attemptsAtEjection = stats.Get("c", "d1").Requests;
        await Task.WhenAll(load);

        var ejectedAt = killedAt + ejectedAfter;
        var before = completions.Count(c => c.At >= killedAt - TimeSpan.FromSeconds(1) && c.At < killedAt);
        var windowAfter = clock.Elapsed - ejectedAt < TimeSpan.FromSeconds(1) ? clock.Elapsed - ejectedAt : TimeSpan.FromSeconds(1);
        var after = completions.Count(c => c.At >= ejectedAt && c.At < ejectedAt + windowAfter) / windowAfter.TotalSeconds;
        var failed = completions.Count(c => !c.Ok);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ejected {ejectedAfter.TotalMilliseconds:0} ms after the kill; {before} req/s before, {after:0} req/s after; {failed} failed of {completions.Count}"));

        Assert.True(ejectedAfter < TimeSpan.FromSeconds(1), $"ejected {ejectedAfter.TotalMilliseconds:0} ms after the kill");
        // Attempts already on their way when the breaker opened (at most one per load-loop worker) still count.
        var lateAttempts = stats.Get("c", "d1").Requests - attemptsAtEjection;
        Assert.InRange(lateAttempts, 0, 4);
        Assert.True(after >= 0.5 * before, $"{after:0} req/s after the ejection against {before} before");
    }

    [Fact]
    public async Task Breaker_SecondEjection_LastsTwiceAsLong()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-01T10:00:00Z", CultureInfo.InvariantCulture));
        const string policy = """
            { "Retry": { "MaxRetries": 0 },
              "CircuitBreaker": { "MinimumThroughput": 10000, "ConsecutiveFailures": 5, "BreakDuration": "00:00:05", "MaxBreakDuration": "00:01:00" } }
            """;
        await using var failing = await ControlledUpstream.StartAsync();
        failing.StatusCode = 503;
        await using var amb = await TestAmbassador.StartAsync(Config([failing.Url], policy), b => b.Services.AddSingleton<TimeProvider>(time));

        for (var i = 0; i < 5; i++)
        {
            using var response = await amb.ProxyClient.GetAsync("/x");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        }

        var first = await AdminDestinationAsync(amb, "d0");
        Assert.Equal(1, first.GetProperty("ejections").GetInt32());
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromSeconds(5), first.GetProperty("returnsAt").GetDateTimeOffset());

        time.Advance(TimeSpan.FromSeconds(5));
        using (var probe = await amb.ProxyClient.GetAsync("/x"))
        {
            Assert.False(probe.Headers.Contains("x-ambassador-error"), "the probe reached the upstream");
        }

        var second = await AdminDestinationAsync(amb, "d0");
        Assert.Equal(2, second.GetProperty("ejections").GetInt32());
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromSeconds(10), second.GetProperty("returnsAt").GetDateTimeOffset());
        time.Advance(TimeSpan.FromSeconds(5));
        using (var stillOut = await amb.ProxyClient.GetAsync("/x"))
        {
            Assert.Equal("circuit-open", stillOut.Headers.GetValues("x-ambassador-error").Single());
        }

        Assert.Equal(6, failing.Hits);
    }

    [Fact]
    public async Task Breaker_FourDestinationsAllFailing_AtMostTwoEjectedOthersKeepTraffic()
    {
        const string policy = """{ "Retry": { "MaxRetries": 0 }, "CircuitBreaker": { "BreakDuration": "00:01:00" } }""";
        var upstreams = new List<ControlledUpstream>();
        for (var i = 0; i < 4; i++)
        {
            var upstream = await ControlledUpstream.StartAsync();
            upstream.StatusCode = 503;
            upstreams.Add(upstream);
        }

        try
        {
            await using var amb = await TestAmbassador.StartAsync(Config([.. upstreams.Select(u => u.Url)], policy));
            using var overflows = new CounterProbe(amb.Services, "ambassador.circuit_breaker.ejections_overflow");
            var breakers = amb.GetRequiredService<IBreakerStateSource>();
            for (var i = 0; i < 80; i++)
            {
                using var response = await amb.ProxyClient.GetAsync("/x");
                Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                Assert.False(response.Headers.Contains("x-ambassador-error"), "some destination is always in");
            }

            var open = Enumerable.Range(0, 4).Where(i => breakers.GetState("c", $"d{i}") == BreakerState.Open).ToList();
            Assert.Equal(2, open.Count);
            var kept = Enumerable.Range(0, 4).Except(open).ToList();
            var hitsBefore = kept.Sum(i => upstreams[i].Hits);
            for (var i = 0; i < 10; i++)
            {
                using var response = await amb.ProxyClient.GetAsync("/x");
            }

            Assert.Equal(hitsBefore + 10, kept.Sum(i => upstreams[i].Hits));
            Assert.True(overflows.Total > 0, "ejections refused by the cap are counted");
            Assert.Single(amb.Logs.Lines, l => l.Contains("stays closed", StringComparison.Ordinal));
        }
        finally
        {
            foreach (var upstream in upstreams)
            {
                await upstream.DisposeAsync();
            }
        }
    }
}
