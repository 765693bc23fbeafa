using Ambassador.Policies.Proxy;
using Polly;
using Polly.CircuitBreaker;

namespace Ambassador.Policies.CircuitBreaker;

/// <summary>
/// The Polly circuit breaker of one destination of one cluster. Attempts to the destination run through
/// <see cref="Pipeline"/>, so Polly owns the failure arithmetic and the single half-open probe; this class adds the
/// question load balancing needs: may the destination be picked now?
/// </summary>
internal sealed class DestinationBreaker
{
    private readonly TimeProvider _timeProvider;
    private readonly CircuitBreakerStateProvider _stateProvider = new();
    private long _blockedUntilUtcTicks;

    // Mirrors Polly's state from its transition callbacks so the per-request admission check takes no lock.
    private volatile BreakerState _state;

    public DestinationBreaker(
        string clusterId,
        string destinationId,
        CircuitBreakerPolicyOptions options,
        TimeProvider timeProvider,
        IBreakerTransitionObserver? observer)
    {
        ClusterId = clusterId;
        DestinationId = destinationId;
        Options = options;
        _timeProvider = timeProvider;

        var strategy = new CircuitBreakerStrategyOptions<AttemptResult>
        {
            FailureRatio = options.FailureRatio,
            MinimumThroughput = options.MinimumThroughput,
            SamplingDuration = options.SamplingDuration,
            BreakDuration = options.BreakDuration,
            StateProvider = _stateProvider,
            ShouldHandle = static args => new ValueTask<bool>(IsFailure(args.Outcome)),
            OnOpened = args =>
            {
                Volatile.Write(ref _blockedUntilUtcTicks, (_timeProvider.GetUtcNow() + args.BreakDuration).UtcTicks);
                _state = BreakerState.Open;
                observer?.OnTransition(this, BreakerState.Open, args.Context);
                return default;
            },
            OnHalfOpened = args =>
            {
                _state = BreakerState.HalfOpen;
                observer?.OnTransition(this, BreakerState.HalfOpen, args.Context);
                return default;
            },
            OnClosed = args =>
            {
                _state = BreakerState.Closed;
                observer?.OnTransition(this, BreakerState.Closed, args.Context);
                return default;
            },
        };

        Pipeline = new ResiliencePipelineBuilder<AttemptResult> { TimeProvider = timeProvider }
            .AddCircuitBreaker(strategy)
            .Build();
    }

    public string ClusterId { get; }

    public string DestinationId { get; }

    /// <summary>The options this breaker was built from; a reload with different values replaces the breaker.</summary>
    public CircuitBreakerPolicyOptions Options { get; }

    /// <summary>Runs an attempt; returns a <see cref="BrokenCircuitException"/> outcome without calling it when open.</summary>
    public ResiliencePipeline<AttemptResult> Pipeline { get; }

    /// <summary>The breaker state as shown to operators.</summary>
    public BreakerState State => _stateProvider.CircuitState switch
    {
        CircuitState.Closed => BreakerState.Closed,
        CircuitState.HalfOpen => BreakerState.HalfOpen,
        _ => BreakerState.Open,
    };

    /// <summary>
    /// Whether load balancing may pick this destination now: closed, or open with its break elapsed (the next attempt
    /// is the half-open probe). A half-open breaker already has its probe in flight.
    /// </summary>
    public bool Admits() => _state switch
    {
        BreakerState.Closed => true,

        // Break over: the next attempt is the probe, unless Polly already let one through (its callback may lag).
        BreakerState.Open => _timeProvider.GetUtcNow().UtcTicks >= Volatile.Read(ref _blockedUntilUtcTicks)
            && _stateProvider.CircuitState != CircuitState.HalfOpen,
        _ => false,
    };

    /// <summary>Whether an outcome counts as a failure of the destination.</summary>
    internal static bool IsFailure(Outcome<AttemptResult> outcome)
        => outcome.Exception is not null || outcome.Result.IsDestinationFailure;
}

/// <summary>Receives breaker transitions (logging, span events).</summary>
internal interface IBreakerTransitionObserver
{
    void OnTransition(DestinationBreaker breaker, BreakerState state, ResilienceContext context);
}
