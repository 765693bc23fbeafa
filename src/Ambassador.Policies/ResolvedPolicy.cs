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

        var perTry = options.Timeout.PerTry < options.Timeout.Total ? options.Timeout.PerTry : options.Timeout.Total;

        // A request that cannot be retried still gets one timeout: the shorter of PerTry and Total.
        Single = new ResiliencePipelineBuilder<AttemptResult> { TimeProvider = timeProvider }
            .AddTimeout(perTry)
            .Build();

        if (MaxRetries > 0)
        {
            // Total (outermost) bounds attempts and back-off delays together; PerTry (innermost) bounds one attempt.
            Retrying = new ResiliencePipelineBuilder<AttemptResult> { TimeProvider = timeProvider }
                .AddTimeout(options.Timeout.Total)
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
                .AddTimeout(new TimeoutStrategyOptions { Timeout = perTry })
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

    public RetryBudgetOptions Budget { get; }

    public CircuitBreakerPolicyOptions Breaker { get; }

    /// <summary>Pipeline for requests that may be retried; null when the policy has retries off.</summary>
    public ResiliencePipeline<AttemptResult>? Retrying { get; }

    /// <summary>Pipeline for requests that go exactly once.</summary>
    public ResiliencePipeline<AttemptResult> Single { get; }
}
