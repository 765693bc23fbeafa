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

    /// <summary>Sampling window: 10 s.</summary>
    public static readonly TimeSpan DefaultSamplingDuration = TimeSpan.FromSeconds(10);

    /// <summary>How long an open breaker keeps its destination out before a probe: 5 s.</summary>
    public static readonly TimeSpan DefaultBreakDuration = TimeSpan.FromSeconds(5);

    /// <summary>Smallest allowed duration: 0.5 s (Polly's limit).</summary>
    public const string MinDurationText = "00:00:00.500";

    /// <summary>Largest allowed duration: 1 day.</summary>
    public const string MaxDurationText = "1.00:00:00";
}
