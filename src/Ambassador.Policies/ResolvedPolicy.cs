using Ambassador.Policies.Budget;
using Ambassador.Policies.CircuitBreaker;
using Ambassador.Policies.Proxy;
using Ambassador.Policies.Retry;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Ambassador.Policies;

/// <summary>
/// A policy ready for the hot path: options parsed once and the Polly pipelines built once per configuration
/// version, shared by every cluster that names the policy.
/// </summary>
internal sealed class ResolvedPolicy
{
    public ResolvedPolicy(string name, PolicyOptions options, TimeProvider timeProvider)
    {
        Name = name;
        Options = options;
        RetryOn = RetryConditionsParser.Parse(options.Retry.RetryOn, out _);
        MaxRetries = options.Retry.MaxRetries;
        Budget = options.Retry.Budget;
        Breaker = options.CircuitBreaker;

        Total = options.Timeout.Total;

        // PerTry bounds an attempt until the upstream's response headers (Envoy's per_try_timeout): it decides whether
        // the attempt is retried, and a body already streaming to the client is left to Total. It is a timer of the
        // request's own (RequestState) that the response transform disarms, so it is on only when shorter than Total.
        PerTry = options.Timeout.PerTry < Total ? options.Timeout.PerTry : null;

        // Every request's first attempt runs here: one timeout, Total. Most requests need nothing more, so the hot
        // path pays for one Polly timeout, the per-try timer and the destination's breaker only.
        Single = new ResiliencePipelineBuilder<AttemptResult> { TimeProvider = timeProvider }
            .AddTimeout(Total)
            .Build();

        if (MaxRetries > 0)
        {
            // Entered only once the first attempt's outcome was judged retryable; that outcome is replayed as this
            // pipeline's attempt 0, so Polly's retry strategy schedules (back-off, Retry-After) and counts every retry.
            // The outer timeout is what is left of Total.
            Retrying = new ResiliencePipelineBuilder<AttemptResult> { TimeProvider = timeProvider }
                .AddTimeout(new TimeoutStrategyOptions
                {
                    Timeout = Total,
                    TimeoutGenerator = static args => new ValueTask<TimeSpan>(RequestState.RemainingTotalOf(args.Context)),
                })
                .AddRetry(new RetryStrategyOptions<AttemptResult>
                {
                    MaxRetryAttempts = MaxRetries,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = options.Retry.BaseDelay,
                    MaxDelay = options.Retry.MaxDelay,
                    ShouldHandle = static args => new ValueTask<bool>(RequestState.ShouldRetry(args.Context, args.Outcome)),
                    DelayGenerator = static args => new ValueTask<TimeSpan?>(RequestState.RetryAfterOf(args.Context)),
                    OnRetry = static args =>
                    {
                        RequestState.OnRetry(args.Context, args.AttemptNumber, args.RetryDelay);
                        return default;
                    },
                })
                .Build();
        }
    }

    public string Name { get; }

    public PolicyOptions Options { get; }

    public RetryConditions RetryOn { get; }

    public int MaxRetries { get; }

    public bool RetryNonIdempotent => Options.Retry.RetryNonIdempotent;

    public int MaxBufferedBodyBytes => Options.Retry.MaxBufferedBodyBytes;

    public TimeSpan MaxDelay => Options.Retry.MaxDelay;

    /// <summary>Time allowed for the whole request.</summary>
    public TimeSpan Total { get; }

    /// <summary>Time allowed for one attempt up to the upstream's response headers; null when it is not shorter than Total.</summary>
    public TimeSpan? PerTry { get; }

    public RetryBudgetOptions Budget { get; }

    public CircuitBreakerPolicyOptions Breaker { get; }

    /// <summary>Pipeline for the retries of a request whose first attempt asked for one; null when retries are off.</summary>
    public ResiliencePipeline<AttemptResult>? Retrying { get; }

    /// <summary>Pipeline for the first (often only) attempt of every request.</summary>
    public ResiliencePipeline<AttemptResult> Single { get; }
}
