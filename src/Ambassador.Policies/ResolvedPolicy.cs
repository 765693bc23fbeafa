using System.Diagnostics;
using Ambassador.Policies.Budget;
using Ambassador.Policies.CircuitBreaker;
using Ambassador.Policies.Proxy;
using Ambassador.Policies.Retry;
using Ambassador.Policies.Telemetry;
using Polly;
using Polly.Retry;

namespace Ambassador.Policies;

/// <summary>
/// A policy ready for the hot path: options parsed once and the Polly pipelines built once per configuration
/// version, shared by every cluster that names the policy.
/// </summary>
internal sealed class ResolvedPolicy
{
    public ResolvedPolicy(string name, PolicyOptions options, TimeProvider timeProvider, ResilienceTelemetry? telemetry = null)
    {
        Name = name;
        Options = options;
        RetryOn = RetryConditionsParser.Parse(options.Retry.RetryOn, out _);
        MaxRetries = options.Retry.MaxRetries;
        Budget = options.Retry.Budget;
        Breaker = options.CircuitBreaker;

        Total = options.Timeout.Total;

        // PerTry bounds an attempt until the upstream's response headers (Envoy's per_try_timeout): it decides whether
        // the attempt is retried, and a body already streaming to the client is left to Total. Both share one timer of
        // the request (RequestDeadline), so PerTry is on only when shorter than Total.
        PerTry = options.Timeout.PerTry < Total ? options.Timeout.PerTry : null;

        if (MaxRetries > 0)
        {
            // The attempt loop of a request whose first attempt decided (and took from the budget) a retry: each
            // execution of the callback is one attempt, the first of them handing over that first attempt's outcome;
            // Polly schedules the retries (exponential back-off with jitter, or the 429's Retry-After) and counts them.
            // A request whose first attempt is not retried never runs this pipeline.
            Retrying = new ResiliencePipelineBuilder<AttemptResult> { TimeProvider = timeProvider }
                .AddRetry(new RetryStrategyOptions<AttemptResult>
                {
                    MaxRetryAttempts = MaxRetries,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = options.Retry.BaseDelay,
                    MaxDelay = options.Retry.MaxDelay,
                    ShouldHandle = static args => new ValueTask<bool>(args.Outcome.Exception is null && args.Outcome.Result.RetryCommitted),
                    DelayGenerator = static args => new ValueTask<TimeSpan?>(args.Outcome.Exception is null ? args.Outcome.Result.RetryAfter : null),
                    OnRetry = args =>
                    {
                        // The operation key is the cluster id; the request's activity is current (Polly calls this inline).
                        telemetry?.Retry(args.Context.OperationKey ?? string.Empty, RetryConditionsParser.Label(args.Outcome.Result.Reason),
                            args.AttemptNumber + 1, args.RetryDelay, Activity.Current);
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

    /// <summary>The attempt loop of a retryable request (Polly's retry strategy); null when retries are off.</summary>
    public ResiliencePipeline<AttemptResult>? Retrying { get; }
}
