using System.Diagnostics.Metrics;
using Ambassador.Policies;
using Ambassador.Policies.CircuitBreaker;
using Ambassador.Policies.Proxy;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Polly;
using Polly.CircuitBreaker;

namespace Ambassador.Tests.Policies;

public sealed class DestinationBreakerTests
{
    private static readonly AttemptResult Ok = new(AttemptKind.Response, 200, false);
    private static readonly AttemptResult Unavailable = new(AttemptKind.Response, 503, false);

    private readonly FakeTimeProvider _time = new();
    private readonly CircuitBreakerPolicyOptions _options = new()
    {
        FailureRatio = 0.5,
        MinimumThroughput = 4,
        SamplingDuration = TimeSpan.FromSeconds(10),
        BreakDuration = TimeSpan.FromSeconds(5),
    };

    [Fact]
    public async Task Breaker_BelowMinimumThroughput_StaysClosed()
    {
        var breaker = Create();

        for (var i = 0; i < 3; i++)
        {
            await RunAsync(breaker, Unavailable);
        }

        Assert.Equal(BreakerState.Closed, breaker.State);
        Assert.True(breaker.Admits());
    }

    [Fact]
    public async Task Breaker_FailureRatioReached_OpensAndRejectsWithoutCalling()
    {
        var breaker = Create();
        await RunAsync(breaker, Ok);
        await RunAsync(breaker, Ok);
        await RunAsync(breaker, Unavailable);
        Assert.Equal(BreakerState.Closed, breaker.State);

        await RunAsync(breaker, Unavailable);

        Assert.Equal(BreakerState.Open, breaker.State);
        Assert.False(breaker.Admits());
        var called = false;
        var outcome = await breaker.ExecuteAsync(
            (_, _) =>
            {
                called = true;
                return ValueTask.FromResult(Outcome.FromResult(Ok));
            },
            ResilienceContextPool.Shared.Get(),
            0);
        Assert.IsType<BrokenCircuitException>(outcome.Exception);
        Assert.False(called);
    }

    [Fact]
    public async Task Breaker_FailuresBelowRatio_StaysClosed()
    {
        var breaker = Create();
        for (var i = 0; i < 6; i++)
        {
            await RunAsync(breaker, Ok);
        }

        await RunAsync(breaker, Unavailable);
        await RunAsync(breaker, Unavailable);

        Assert.Equal(BreakerState.Closed, breaker.State);
    }

    [Fact]
    public async Task Breaker_FailuresOlderThanSamplingDuration_NotCounted()
    {
        var breaker = Create();
        for (var i = 0; i < 3; i++)
        {
            await RunAsync(breaker, Unavailable);
        }

        _time.Advance(TimeSpan.FromSeconds(11));
        await RunAsync(breaker, Unavailable);

        Assert.Equal(BreakerState.Closed, breaker.State);
    }

    [Fact]
    public async Task Breaker_AfterBreakDuration_OneProbeAdmittedThenClosesOnSuccess()
    {
        var breaker = await OpenedAsync();

        _time.Advance(TimeSpan.FromSeconds(4.9));
        Assert.False(breaker.Admits());
        _time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.True(breaker.Admits());

        var probe = new TaskCompletionSource<Outcome<AttemptResult>>();
        var probing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var probeTask = breaker.ExecuteAsync(
            (_, p) =>
            {
                probing.SetResult();
                return new ValueTask<Outcome<AttemptResult>>(p.Task);
            },
            ResilienceContextPool.Shared.Get(),
            probe).AsTask();

        // Polly runs the half-open callback on its own task executor before it lets the probe through.
        await probing.Task.WaitAsync(TimeSpan.FromSeconds(5));

        // While the probe is in flight nobody else gets through.
        Assert.Equal(BreakerState.HalfOpen, breaker.State);
        Assert.False(breaker.Admits());
        var second = await RunAsync(breaker, Ok);
        Assert.IsType<BrokenCircuitException>(second.Exception);

        probe.SetResult(Outcome.FromResult(Ok));
        await probeTask;

        Assert.Equal(BreakerState.Closed, breaker.State);
        Assert.True(breaker.Admits());
    }

    [Fact]
    public async Task Breaker_ProbeFails_ReopensForTwiceTheBreakDuration()
    {
        var breaker = await OpenedAsync();
        _time.Advance(TimeSpan.FromSeconds(5));

        await RunAsync(breaker, new AttemptResult(AttemptKind.ConnectFailure, 502, false));

        Assert.Equal(BreakerState.Open, breaker.State);
        Assert.False(breaker.Admits());
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.False(breaker.Admits());
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(breaker.Admits());
    }

    [Theory]
    [InlineData("Response", 500, true)]
    [InlineData("Response", 503, true)]
    [InlineData("Response", 429, false)]
    [InlineData("Response", 404, false)]
    [InlineData("Response", 200, false)]
    [InlineData("ConnectFailure", 502, true)]
    [InlineData("Reset", 502, true)]
    [InlineData("Timeout", 504, true)]
    [InlineData("ClientError", 400, false)]
    [InlineData("OtherError", 502, false)]
    public void IsDestinationFailure_ByKindAndStatus(string kind, int status, bool failure)
        => Assert.Equal(failure, new AttemptResult(Enum.Parse<AttemptKind>(kind), status, false).IsDestinationFailure);

    [Fact]
    public async Task Registry_SameOptions_SameBreaker_ChangedOptions_NewClosedBreaker()
    {
        var registry = new DestinationBreakerRegistry(_time, NullLogger<DestinationBreakerRegistry>.Instance);
        var breaker = registry.Get("c", "d", _options);
        Assert.Same(breaker, registry.Get("c", "d", _options with { }));
        for (var i = 0; i < 4; i++)
        {
            await RunAsync(breaker, Unavailable);
        }

        Assert.Equal(BreakerState.Open, registry.GetState("c", "d"));
        Assert.Equal(BreakerState.Closed, registry.GetState("c", "unknown"));

        var rebuilt = registry.Get("c", "d", _options with { MinimumThroughput = 10 });

        Assert.NotSame(breaker, rebuilt);
        Assert.Equal(BreakerState.Closed, registry.GetState("c", "d"));
    }

    [Fact]
    public async Task Registry_ObserveStates_ReportsGaugeValues()
    {
        var registry = new DestinationBreakerRegistry(_time, NullLogger<DestinationBreakerRegistry>.Instance);
        registry.Get("c", "healthy", _options);
        var failing = registry.Get("c", "failing", _options);
        for (var i = 0; i < 4; i++)
        {
            await RunAsync(failing, Unavailable);
        }

        var states = registry.ObserveStates().ToDictionary(m => (string)m.Tags.ToArray().Single(t => t.Key == "destination").Value!, m => m.Value);

        Assert.Equal(0, states["healthy"]);
        Assert.Equal(2, states["failing"]);
    }

    [Fact]
    public void Registry_Prune_ForgetsVanishedDestinations()
    {
        var registry = new DestinationBreakerRegistry(_time, NullLogger<DestinationBreakerRegistry>.Instance);
        registry.Get("c", "kept", _options);
        registry.Get("c", "gone", _options);

        registry.Prune("c", id => id == "kept");

        Assert.NotNull(registry.Find("c", "kept"));
        Assert.Null(registry.Find("c", "gone"));
    }

    [Fact]
    public async Task Breaker_ConsecutiveFailuresAfterLongHealthyHistory_Opens()
    {
        // Ratio alone would need 1000 more failures here; five in a row are enough (Envoy's consecutive_5xx).
        var breaker = new DestinationBreaker("c", "d", _options with { ConsecutiveFailures = 5 }, _time, observer: null);
        for (var i = 0; i < 1000; i++)
        {
            await RunAsync(breaker, Ok);
        }

        for (var i = 0; i < 4; i++)
        {
            await RunAsync(breaker, Unavailable);
        }

        Assert.Equal(BreakerState.Closed, breaker.State);
        await RunAsync(breaker, Unavailable);

        Assert.Equal(BreakerState.Open, breaker.State);
        Assert.False(breaker.Admits());
        Assert.Equal(1, breaker.Ejections);
    }

    [Fact]
    public async Task Breaker_SuccessBetweenFailures_RestartsTheStreak()
    {
        var breaker = new DestinationBreaker("c", "d", _options with { ConsecutiveFailures = 3, MinimumThroughput = 10_000 }, _time, observer: null);
        for (var i = 0; i < 10; i++)
        {
            await RunAsync(breaker, Unavailable);
            await RunAsync(breaker, Unavailable);
            await RunAsync(breaker, Ok);
        }

        Assert.Equal(BreakerState.Closed, breaker.State);

        for (var i = 0; i < 3; i++)
        {
            await RunAsync(breaker, Unavailable);
        }

        Assert.Equal(BreakerState.Open, breaker.State);
    }

    [Fact]
    public async Task Breaker_StreakReportedConcurrently_OpensOnItsLastFailure()
    {
        // A client may have its answer before the proxy has counted the attempt, so the reports of calls the client
        // made one after another can overlap; each of them must still count.
        for (var round = 0; round < 100; round++)
        {
            var breaker = new DestinationBreaker("c", "d", _options with { ConsecutiveFailures = 3, MinimumThroughput = 10_000 }, _time, observer: null);
            await ReportAsync(breaker, Ok);
            var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var reports = Enumerable.Range(0, 3).Select(async _ =>
            {
                await go.Task;
                return await ReportAsync(breaker, Unavailable);
            }).ToArray();
            go.SetResult();
            var outcomes = await Task.WhenAll(reports);

            Assert.All(outcomes, o => Assert.Equal(503, o.Result.StatusCode));
            Assert.Equal(BreakerState.Open, breaker.State);
            Assert.Equal(1, breaker.Ejections);
            Assert.False(breaker.Admits());
        }
    }

    [Fact]
    public async Task Breaker_StreakReported_OpensLikeAStreakRunInside_AndASuccessRestartsIt()
    {
        var breaker = new DestinationBreaker("c", "d", _options with { ConsecutiveFailures = 3, MinimumThroughput = 10_000 }, _time, observer: null);
        await ReportAsync(breaker, Unavailable);
        await ReportAsync(breaker, Unavailable);
        await ReportAsync(breaker, Ok);
        await ReportAsync(breaker, Unavailable);
        await ReportAsync(breaker, Unavailable);
        Assert.Equal(BreakerState.Closed, breaker.State);

        await ReportAsync(breaker, Unavailable);

        Assert.Equal(BreakerState.Open, breaker.State);
        Assert.False(breaker.Admits());
    }

    [Fact]
    public async Task Breaker_ConsecutiveFailuresZero_OnlyTheRatioOpens()
    {
        var breaker = new DestinationBreaker("c", "d", _options with { ConsecutiveFailures = 0, MinimumThroughput = 10_000 }, _time, observer: null);
        for (var i = 0; i < 50; i++)
        {
            await RunAsync(breaker, Unavailable);
        }

        Assert.Equal(BreakerState.Closed, breaker.State);
    }

    [Fact]
    public async Task Breaker_SecondEjectionAfterFailedProbe_LastsTwiceAsLong()
    {
        var breaker = await OpenedAsync();
        var firstReturn = breaker.ReturnsAt!.Value;
        Assert.Equal(_time.GetUtcNow() + _options.BreakDuration, firstReturn);

        _time.Advance(_options.BreakDuration);
        Assert.True(breaker.Admits());
        await RunAsync(breaker, Unavailable); // the probe fails

        Assert.Equal(BreakerState.Open, breaker.State);
        Assert.Equal(2, breaker.Ejections);
        Assert.Equal(_time.GetUtcNow() + (2 * _options.BreakDuration), breaker.ReturnsAt);
        _time.Advance(_options.BreakDuration);
        Assert.False(breaker.Admits());
        _time.Advance(_options.BreakDuration);
        Assert.True(breaker.Admits());
    }

    [Theory]
    [InlineData(0, 5)]
    [InlineData(1, 10)]
    [InlineData(2, 15)]
    [InlineData(100, 60)]
    public void BreakDurationOf_ConsecutiveEjections_GrowsUpToMaxBreakDuration(int failedProbes, int seconds)
    {
        var options = _options with { BreakDuration = TimeSpan.FromSeconds(5), MaxBreakDuration = TimeSpan.FromMinutes(1) };
        Assert.Equal(TimeSpan.FromSeconds(seconds), DestinationBreaker.BreakDurationOf(options, failedProbes));
    }

    [Theory]
    [InlineData(1, 50, 1)]
    [InlineData(2, 50, 1)]
    [InlineData(4, 50, 2)]
    [InlineData(5, 50, 2)]
    [InlineData(10, 0, 1)]
    [InlineData(10, 100, 10)]
    public void AllowedEjections_PercentOfDestinations_AtLeastOne(int destinations, int percent, int allowed)
        => Assert.Equal(allowed, DestinationBreakerRegistry.AllowedEjections(destinations, percent));

    [Fact]
    public async Task Registry_AllFourDestinationsFailing_AtMostHalfEjected()
    {
        var registry = new DestinationBreakerRegistry(_time, NullLogger<DestinationBreakerRegistry>.Instance);
        registry.SetDestinationCount("c", 4);
        var breakers = Enumerable.Range(0, 4).Select(i => registry.Get("c", $"d{i}", _options)).ToList();
        for (var round = 0; round < 3; round++)
        {
            foreach (var breaker in breakers)
            {
                for (var i = 0; i < 4; i++)
                {
                    await RunAsync(breaker, Unavailable);
                }
            }
        }

        // The breakers kept closed by the cap are reopened by Polly's callbacks off this flow; poll for them to settle.
        await PollAsync(() => breakers.Count(b => b.State == BreakerState.Open) == 2 && breakers.All(b => b.State != BreakerState.HalfOpen));
        Assert.Equal(2, breakers.Count(b => b.State == BreakerState.Open));
        Assert.Equal(2, breakers.Count(b => b.Admits()));

        // One comes back: the place under the cap is free for another.
        var returning = breakers.First(b => b.State == BreakerState.Open);
        _time.Advance(_options.BreakDuration);
        await RunAsync(returning, Ok);
        Assert.Equal(BreakerState.Closed, returning.State);
        var stillIn = breakers.First(b => b != returning && b.State == BreakerState.Closed);
        for (var i = 0; i < 4; i++)
        {
            await RunAsync(stillIn, Unavailable);
        }

        Assert.Equal(BreakerState.Open, stillIn.State);
    }

    [Fact]
    public async Task Registry_SingleDestination_StillEjected()
    {
        var registry = new DestinationBreakerRegistry(_time, NullLogger<DestinationBreakerRegistry>.Instance);
        registry.SetDestinationCount("c", 1);
        var breaker = registry.Get("c", "only", _options with { MaxEjectionPercent = 0 });
        for (var i = 0; i < 4; i++)
        {
            await RunAsync(breaker, Unavailable);
        }

        Assert.Equal(BreakerState.Open, breaker.State);
        Assert.Equal(new EjectionInfo(1, _time.GetUtcNow() + _options.BreakDuration), registry.GetEjection("c", "only"));
    }

    private static async Task PollAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 5 s");
            await Task.Delay(10);
        }
    }

    private DestinationBreaker Create() => new("c", "d", _options, _time, observer: null);

    private async Task<DestinationBreaker> OpenedAsync()
    {
        var breaker = Create();
        for (var i = 0; i < 4; i++)
        {
            await RunAsync(breaker, Unavailable);
        }

        Assert.Equal(BreakerState.Open, breaker.State);
        return breaker;
    }

    private static async Task<Outcome<AttemptResult>> ReportAsync(DestinationBreaker breaker, AttemptResult result)
    {
        var context = ResilienceContextPool.Shared.Get();
        try
        {
            return await breaker.ReportAsync(Outcome.FromResult(result), context);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private static async Task<Outcome<AttemptResult>> RunAsync(DestinationBreaker breaker, AttemptResult result)
    {
        var context = ResilienceContextPool.Shared.Get();
        try
        {
            return await breaker.ExecuteAsync((_, r) => ValueTask.FromResult(Outcome.FromResult(r)), context, result);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }
}
