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
        var outcome = await breaker.Pipeline.ExecuteOutcomeAsync(
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
        var probeTask = breaker.Pipeline.ExecuteOutcomeAsync((_, p) => new ValueTask<Outcome<AttemptResult>>(p.Task), ResilienceContextPool.Shared.Get(), probe).AsTask();

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
    public async Task Breaker_ProbeFails_ReopensForAnotherBreakDuration()
    {
        var breaker = await OpenedAsync();
        _time.Advance(TimeSpan.FromSeconds(5));

        await RunAsync(breaker, new AttemptResult(AttemptKind.ConnectFailure, 502, false));

        Assert.Equal(BreakerState.Open, breaker.State);
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

    private static async Task<Outcome<AttemptResult>> RunAsync(DestinationBreaker breaker, AttemptResult result)
    {
        var context = ResilienceContextPool.Shared.Get();
        try
        {
            return await breaker.Pipeline.ExecuteOutcomeAsync((_, r) => ValueTask.FromResult(Outcome.FromResult(r)), context, result);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }
}
