using Ambassador.Policies.Proxy;
using Polly;
using Polly.CircuitBreaker;

namespace Ambassador.Policies.CircuitBreaker;

/// <summary>
/// The circuit breaker of one destination of one cluster: outlier ejection in Envoy's sense. Two Polly breakers judge
/// the destination's attempts: the ratio rule opens on the failure ratio of the sampling window and counts every attempt;
/// the streak rule opens on <see cref="CircuitBreakerPolicyOptions.ConsecutiveFailures"/> failures in a row and sees an
/// attempt only once a streak has reached that length, or while it is open or probing. Polly owns the ratio arithmetic,
/// the single half-open probe and the break durations (its break-duration generator lengthens each consecutive
/// ejection); this class counts the streak and adds the questions load balancing and the ejection cap need: may the
/// destination be picked now, and may it be ejected at all while other destinations of its cluster are out?
/// </summary>
internal sealed class DestinationBreaker
{
    // Polly's largest sampling window: a streak of failures counts however far apart its attempts are.
    private static readonly TimeSpan StreakWindow = TimeSpan.FromDays(1);

    // Polly's callback for a reported outcome: the attempt already ran, the rule only counts it.
    private static readonly Func<ResilienceContext, Outcome<AttemptResult>, ValueTask<Outcome<AttemptResult>>> ReturnOutcome
        = static (_, outcome) => new ValueTask<Outcome<AttemptResult>>(outcome);

    private readonly TimeProvider _timeProvider;
    private readonly IBreakerTransitionObserver? _observer;
    private readonly Stage _ratio;
    private readonly Stage? _consecutive;
    private readonly Lock _gate = new();
    private BreakerState _reported;
    private bool _ejected;
    private int _streak;
    private int _ejections;

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
        _observer = observer;

        _ratio = new Stage(this, options.FailureRatio, options.MinimumThroughput, options.SamplingDuration);
        if (options.ConsecutiveFailures > 0)
        {
            // The streak is counted here, not in Polly's window: a window that has to be cleared when a streak starts
            // loses the failures other requests record in between. This rule's window only ever holds failures that
            // end a long enough streak, each counted twice: a ratio of 1 over Polly's smallest throughput (2) opens on the
            // first of them.
            _consecutive = new Stage(this, 1.0, 2, StreakWindow);
        }
    }

    public string ClusterId { get; }

    public string DestinationId { get; }

    /// <summary>The options this breaker was built from; a reload with different values replaces the breaker.</summary>
    public CircuitBreakerPolicyOptions Options { get; }

    /// <summary>
    /// Whether both rules are closed as far as their callbacks have told (lock-free). The attempt loop forwards around
    /// such a breaker and reports the outcome afterwards (<see cref="ReportAsync"/>); only a breaker that is not closed
    /// (its next attempt may be the half-open probe) runs the attempt inside it (<see cref="ExecuteAsync"/>), where
    /// Polly lets exactly one probe through.
    /// </summary>
    public bool IsClosed => _ratio.State == BreakerState.Closed && (_consecutive is null || _consecutive.State == BreakerState.Closed);

    /// <summary>
    /// Hands the outcome of an attempt made while the breaker was closed to the ratio rule, whose callback returns it at
    /// once: Polly counts it and opens the breaker when the rule trips, exactly as if the attempt had run inside; then
    /// counts the streak. An async execution around the forward would cost an async state machine per Polly strategy
    /// and per request; this one completes synchronously unless a transition is reported or a streak is long enough to
    /// reach the streak rule. If the breaker opened while the attempt was in flight, Polly refuses the report
    /// (<see cref="BrokenCircuitException"/>) and the outcome is not counted, as for any attempt that ends after its
    /// breaker opened.
    /// </summary>
    public ValueTask<Outcome<AttemptResult>> ReportAsync(Outcome<AttemptResult> outcome, ResilienceContext context)
    {
        var counted = _ratio.Pipeline.ExecuteOutcomeAsync(ReturnOutcome, context, outcome);
        if (_consecutive is null)
        {
            return counted;
        }

        return counted.IsCompletedSuccessfully ? CountStreak(counted.Result, context) : CountStreakAsync(counted, context);
    }

    /// <summary>
    /// Runs an attempt inside every rule that is not closed (Polly lets one probe through a half-open rule and refuses the
    /// rest with a <see cref="BrokenCircuitException"/> outcome, without calling <paramref name="attempt"/>); the closed
    /// rules count its outcome as if reported.
    /// </summary>
    public ValueTask<Outcome<AttemptResult>> ExecuteAsync<TState>(
        Func<ResilienceContext, TState, ValueTask<Outcome<AttemptResult>>> attempt,
        ResilienceContext context,
        TState state)
        => _ratio.Pipeline.ExecuteOutcomeAsync(
            static (ctx, s) => s.Self.ExecuteInStreakRuleAsync(s.Attempt, ctx, s.State),
            context,
            (Self: this, Attempt: attempt, State: state));

    /// <summary>The breaker state as shown to operators: open when either rule ejected the destination.</summary>
    public BreakerState State
    {
        get
        {
            // The state the callbacks set, which load balancing reads: "open" is shown once traffic avoids the
            // destination (Polly's own state changes a moment earlier, before it runs the callbacks).
            var ratio = _ratio.State;
            var consecutive = _consecutive?.State ?? BreakerState.Closed;
            return ratio == BreakerState.Open || consecutive == BreakerState.Open ? BreakerState.Open
                : ratio == BreakerState.HalfOpen || consecutive == BreakerState.HalfOpen ? BreakerState.HalfOpen
                : BreakerState.Closed;
        }
    }

    /// <summary>Whether the destination counts against its cluster's ejection cap (open or probing).</summary>
    public bool IsEjected => Volatile.Read(ref _ejected);

    /// <summary>How many times this destination was ejected (each re-ejection after a failed probe counts).</summary>
    public int Ejections => Volatile.Read(ref _ejections);

    /// <summary>When an open breaker lets its next probe through; null unless open.</summary>
    public DateTimeOffset? ReturnsAt
    {
        get
        {
            long ticks = 0;
            if (_ratio.State == BreakerState.Open)
            {
                ticks = _ratio.BlockedUntilUtcTicks;
            }

            if (_consecutive?.State == BreakerState.Open)
            {
                ticks = Math.Max(ticks, _consecutive.BlockedUntilUtcTicks);
            }

            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    /// <summary>
    /// Whether load balancing may pick this destination now: closed, or open with its break elapsed (the next attempt
    /// is the half-open probe). A half-open breaker already has its probe in flight.
    /// </summary>
    public bool Admits() => _ratio.Admits(_timeProvider) && (_consecutive is null || _consecutive.Admits(_timeProvider));

    /// <summary>Whether an outcome counts as a failure of the destination.</summary>
    internal static bool IsFailure(Outcome<AttemptResult> outcome)
        => outcome.Exception is not null || outcome.Result.IsDestinationFailure;

    /// <summary>
    /// The length of an ejection: <see cref="CircuitBreakerPolicyOptions.BreakDuration"/> × the number of consecutive
    /// ejections (Polly counts the failed probes since the breaker last closed), at most <see cref="CircuitBreakerPolicyOptions.MaxBreakDuration"/>.
    /// </summary>
    internal static TimeSpan BreakDurationOf(CircuitBreakerPolicyOptions options, int failedProbes)
    {
        var max = options.MaxBreakDuration > options.BreakDuration ? options.MaxBreakDuration : options.BreakDuration;
        var factor = Math.Min(failedProbes, 100_000) + 1;
        return options.BreakDuration.Ticks > max.Ticks / factor ? max : options.BreakDuration * factor;
    }

    // A refusal by the streak rule inside the ratio rule is no failure: nothing reached the destination.
    private static bool ShouldHandle(Outcome<AttemptResult> outcome)
        => outcome.Exception is not BrokenCircuitException && IsFailure(outcome);

    private async ValueTask<Outcome<AttemptResult>> ExecuteInStreakRuleAsync<TState>(
        Func<ResilienceContext, TState, ValueTask<Outcome<AttemptResult>>> attempt,
        ResilienceContext context,
        TState state)
    {
        if (_consecutive is not { } stage)
        {
            return await attempt(context, state).ConfigureAwait(false);
        }

        if (stage.PollyState != BreakerState.Closed)
        {
            var outcome = await stage.Pipeline.ExecuteOutcomeAsync(attempt, context, state).ConfigureAwait(false);
            if (outcome.Exception is not BrokenCircuitException && !IsFailure(outcome))
            {
                // The probe closed the rule: a new streak starts from nothing.
                Volatile.Write(ref _streak, 0);
            }

            return outcome;
        }

        var attempted = await attempt(context, state).ConfigureAwait(false);

        // The attempt happened: a streak rule that opened meanwhile refuses only to count it.
        var counted = await CountStreak(attempted, context).ConfigureAwait(false);
        return counted.Exception is BrokenCircuitException ? attempted : counted;
    }

    private async ValueTask<Outcome<AttemptResult>> CountStreakAsync(ValueTask<Outcome<AttemptResult>> counted, ResilienceContext context)
        => await CountStreak(await counted.ConfigureAwait(false), context).ConfigureAwait(false);

    private ValueTask<Outcome<AttemptResult>> CountStreak(Outcome<AttemptResult> outcome, ResilienceContext context)
    {
        if (outcome.Exception is BrokenCircuitException)
        {
            // The ratio rule opened while the attempt was in flight and refused to count it; so does the streak.
            return new ValueTask<Outcome<AttemptResult>>(outcome);
        }

        if (!IsFailure(outcome))
        {
            if (Volatile.Read(ref _streak) != 0)
            {
                Volatile.Write(ref _streak, 0);
            }

            return new ValueTask<Outcome<AttemptResult>>(outcome);
        }

        return Interlocked.Increment(ref _streak) >= Options.ConsecutiveFailures
            ? TripStreakRuleAsync(outcome, context)
            : new ValueTask<Outcome<AttemptResult>>(outcome);
    }

    /// <summary>
    /// A failure at or past the streak's length: the streak rule counts it twice (Polly opens on no fewer than two
    /// outcomes, and its window holds nothing but such failures), which opens it unless the ejection cap keeps the
    /// destination in; the next failure of the same streak then tries again.
    /// </summary>
    private async ValueTask<Outcome<AttemptResult>> TripStreakRuleAsync(Outcome<AttemptResult> outcome, ResilienceContext context)
    {
        var pipeline = _consecutive!.Pipeline;
        var first = await pipeline.ExecuteOutcomeAsync(ReturnOutcome, context, outcome).ConfigureAwait(false);
        if (first.Exception is BrokenCircuitException)
        {
            return first;
        }

        var second = await pipeline.ExecuteOutcomeAsync(ReturnOutcome, context, outcome).ConfigureAwait(false);

        // Refused: the first count opened it (or a concurrent failure did); this outcome was counted.
        return second.Exception is BrokenCircuitException ? first : second;
    }

    private void OnOpened(Stage stage, OnCircuitOpenedArguments<AttemptResult> args)
    {
        lock (_gate)
        {
            if (!_ejected)
            {
                if (_observer is not null && !_observer.TryEject(this, args.Context))
                {
                    // Over the cluster's ejection cap: the destination stays in. Polly's breaker is closed again (which
                    // also clears its window), from outside this callback because Polly runs its callbacks in order.
                    stage.Suppressed = true;
                    _ = stage.Control.CloseAsync();
                    return;
                }

                _ejected = true;
            }

            stage.BlockedUntilUtcTicks = (_timeProvider.GetUtcNow() + args.BreakDuration).UtcTicks;
            stage.State = BreakerState.Open;
            ReportNoLock(args.Context, args.BreakDuration);
        }
    }

    private void OnHalfOpened(Stage stage, ResilienceContext context)
    {
        lock (_gate)
        {
            stage.State = BreakerState.HalfOpen;
            ReportNoLock(context, TimeSpan.Zero);
        }
    }

    private void OnClosed(Stage stage, ResilienceContext context)
    {
        lock (_gate)
        {
            stage.State = BreakerState.Closed;
            if (stage.Suppressed)
            {
                stage.Suppressed = false;
                return;
            }

            if (_ejected && State == BreakerState.Closed)
            {
                _ejected = false;
                _observer?.OnEjectionEnded(this);
            }

            ReportNoLock(context, TimeSpan.Zero);
        }
    }

    private void ReportNoLock(ResilienceContext context, TimeSpan breakDuration)
    {
        var state = State;
        if (state == _reported)
        {
            return;
        }

        if (state == BreakerState.Open)
        {
            // Both rules may trip on the same failure (or a failed probe): that is one ejection.
            _ejections++;
        }

        _reported = state;
        _observer?.OnTransition(this, state, context, breakDuration);
    }

    /// <summary>One of the two Polly breakers and the state its callbacks mirror for the lock-free admission check.</summary>
    private sealed class Stage
    {
        private readonly CircuitBreakerStateProvider _stateProvider = new();
        private volatile BreakerState _state;
        private long _blockedUntilUtcTicks;
        private bool _suppressed;

        public Stage(DestinationBreaker owner, double failureRatio, int minimumThroughput, TimeSpan samplingDuration)
        {
            var options = owner.Options;
            var strategy = new CircuitBreakerStrategyOptions<AttemptResult>
            {
                FailureRatio = failureRatio,
                MinimumThroughput = minimumThroughput,
                SamplingDuration = samplingDuration,
                BreakDuration = options.BreakDuration,
                BreakDurationGenerator = args => new ValueTask<TimeSpan>(BreakDurationOf(options, args.HalfOpenAttempts)),
                StateProvider = _stateProvider,
                ManualControl = Control,
                ShouldHandle = static args => new ValueTask<bool>(ShouldHandle(args.Outcome)),
                OnOpened = args =>
                {
                    owner.OnOpened(this, args);
                    return default;
                },
                OnHalfOpened = args =>
                {
                    owner.OnHalfOpened(this, args.Context);
                    return default;
                },
                OnClosed = args =>
                {
                    owner.OnClosed(this, args.Context);
                    return default;
                },
            };
            Pipeline = new ResiliencePipelineBuilder<AttemptResult> { TimeProvider = owner._timeProvider }
                .AddCircuitBreaker(strategy)
                .Build();
        }

        /// <summary>This rule alone: attempts run inside it or are reported to it.</summary>
        public ResiliencePipeline<AttemptResult> Pipeline { get; }

        public CircuitBreakerManualControl Control { get; } = new();

        /// <summary>Polly opened this breaker over the ejection cap; its closing is not a transition anyone saw.</summary>
        public bool Suppressed
        {
            get => Volatile.Read(ref _suppressed);
            set => Volatile.Write(ref _suppressed, value);
        }

        public BreakerState State
        {
            get => _state;
            set => _state = value;
        }

        /// <summary>Polly's state; a breaker reopened over the ejection cap counts as closed while Polly closes it again.</summary>
        public BreakerState PollyState => _stateProvider.CircuitState switch
        {
            CircuitState.Closed => BreakerState.Closed,
            CircuitState.HalfOpen => BreakerState.HalfOpen,
            _ when Suppressed => BreakerState.Closed,
            _ => BreakerState.Open,
        };

        public long BlockedUntilUtcTicks
        {
            get => Volatile.Read(ref _blockedUntilUtcTicks);
            set => Volatile.Write(ref _blockedUntilUtcTicks, value);
        }

        public bool Admits(TimeProvider timeProvider) => _state switch
        {
            BreakerState.Closed => true,

            // Break over: the next attempt is the probe, unless Polly already let one through (its callback may lag).
            BreakerState.Open => timeProvider.GetUtcNow().UtcTicks >= BlockedUntilUtcTicks
                && _stateProvider.CircuitState != CircuitState.HalfOpen,
            _ => false,
        };
    }
}

/// <summary>Receives breaker transitions (logging, span events) and keeps each cluster's ejection cap.</summary>
internal interface IBreakerTransitionObserver
{
    void OnTransition(DestinationBreaker breaker, BreakerState state, ResilienceContext context, TimeSpan breakDuration);

    /// <summary>Whether <paramref name="breaker"/> may be ejected now; false keeps it closed (the cap is full).</summary>
    bool TryEject(DestinationBreaker breaker, ResilienceContext context);

    /// <summary>The destination is back in load balancing: its place under the cap is free again.</summary>
    void OnEjectionEnded(DestinationBreaker breaker);
}
