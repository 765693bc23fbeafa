namespace Ambassador.Policies.CircuitBreaker;

/// <summary>Defaults and limits of <see cref="CircuitBreakerPolicyOptions"/>, sized for one application's traffic.</summary>
public static class CircuitBreakerConstants
{
    /// <summary>Failure share within the sampling window that opens the breaker: 0.5.</summary>
    public const double DefaultFailureRatio = 0.5;

    /// <summary>Attempts within the sampling window before the ratio counts: 5 (Polly's 100 is too many for a sidecar).</summary>
    public const int DefaultMinimumThroughput = 5;

    /// <summary>Smallest allowed minimum throughput: 2 (Polly's limit).</summary>
    public const int MinMinimumThroughput = 2;

    /// <summary>Largest allowed minimum throughput: 10000.</summary>
    public const int MaxMinimumThroughput = 10_000;

    /// <summary>Consecutive failed attempts that open the breaker whatever the ratio: 5 (Envoy's <c>consecutive_5xx</c>).</summary>
    public const int DefaultConsecutiveFailures = 5;

    /// <summary>Smallest count of consecutive failures that may open the breaker: 2 (Polly's minimum throughput); 0 turns the rule off.</summary>
    public const int MinConsecutiveFailures = 2;

    /// <summary>Largest count of consecutive failures: 10000.</summary>
    public const int MaxConsecutiveFailures = 10_000;

    /// <summary>Share of a cluster's destinations that may be ejected at once: 50 % (Envoy's <c>max_ejection_percent</c> is 10; a sidecar's clusters are small).</summary>
    public const int DefaultMaxEjectionPercent = 50;

    /// <summary>Sampling window: 10 s.</summary>
    public static readonly TimeSpan DefaultSamplingDuration = TimeSpan.FromSeconds(10);

    /// <summary>How long an open breaker keeps its destination out before a probe: 5 s.</summary>
    public static readonly TimeSpan DefaultBreakDuration = TimeSpan.FromSeconds(5);

    /// <summary>Longest ejection however often a destination is ejected again: 5 min (Envoy's <c>max_ejection_time</c> default 300 s).</summary>
    public static readonly TimeSpan DefaultMaxBreakDuration = TimeSpan.FromMinutes(5);

    /// <summary>Smallest allowed duration: 0.5 s (Polly's limit).</summary>
    public const string MinDurationText = "00:00:00.500";

    /// <summary>Largest allowed duration: 1 day.</summary>
    public const string MaxDurationText = "1.00:00:00";
}
