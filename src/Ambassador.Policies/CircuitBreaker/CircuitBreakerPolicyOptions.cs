using System.Diagnostics.CodeAnalysis;
using System.ComponentModel.DataAnnotations;

namespace Ambassador.Policies.CircuitBreaker;

/// <summary>
/// Per-destination circuit breaker (<c>...:CircuitBreaker</c>). A destination whose failures reach
/// <see cref="FailureRatio"/> of at least <see cref="MinimumThroughput"/> attempts within <see cref="SamplingDuration"/>
/// leaves load balancing for <see cref="BreakDuration"/>; then one probe request decides whether it returns.
/// <see cref="ConsecutiveFailures"/> failed attempts in a row open it too, however long the healthy history before them.
/// A destination ejected again right after its probe failed stays out longer each time (<see cref="BreakDuration"/> ×
/// consecutive ejections, at most <see cref="MaxBreakDuration"/>), and at most <see cref="MaxEjectionPercent"/> of a
/// cluster's destinations are out at once (Envoy's outlier detection).
/// </summary>
public sealed record CircuitBreakerPolicyOptions
{
    /// <summary>Failure share that opens the breaker. Default 0.5, greater than 0 and at most 1.</summary>
    [Range(0d, 1d, MinimumIsExclusive = true, ErrorMessage = "must be greater than 0 and at most 1")]
    public double FailureRatio { get; set; } = CircuitBreakerConstants.DefaultFailureRatio;

    /// <summary>Attempts in the window before the breaker may open. Default 5, between 2 and 10000.</summary>
    [Range(CircuitBreakerConstants.MinMinimumThroughput, CircuitBreakerConstants.MaxMinimumThroughput, ErrorMessage = "must be between {1} and {2}")]
    public int MinimumThroughput { get; set; } = CircuitBreakerConstants.DefaultMinimumThroughput;

    /// <summary>Window over which failures are counted. Default 00:00:10, between 00:00:00.500 and 1.00:00:00.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = TrimmingJustification.TimeSpanRange)]
    [Range(typeof(TimeSpan), CircuitBreakerConstants.MinDurationText, CircuitBreakerConstants.MaxDurationText, ErrorMessage = "must be between {1} and {2}")]
    public TimeSpan SamplingDuration { get; set; } = CircuitBreakerConstants.DefaultSamplingDuration;

    /// <summary>Time an open breaker keeps the destination out. Default 00:00:05, between 00:00:00.500 and 1.00:00:00.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = TrimmingJustification.TimeSpanRange)]
    [Range(typeof(TimeSpan), CircuitBreakerConstants.MinDurationText, CircuitBreakerConstants.MaxDurationText, ErrorMessage = "must be between {1} and {2}")]
    public TimeSpan BreakDuration { get; set; } = CircuitBreakerConstants.DefaultBreakDuration;

    /// <summary>
    /// Failed attempts in a row that open the breaker whatever the ratio (Envoy's <c>consecutive_5xx</c>). Default 5,
    /// 0 (off) or between 2 and 10000.
    /// </summary>
    public int ConsecutiveFailures { get; set; } = CircuitBreakerConstants.DefaultConsecutiveFailures;

    /// <summary>
    /// Longest ejection: a destination ejected again after a failed probe stays out <see cref="BreakDuration"/> × the
    /// number of consecutive ejections, at most this (Envoy's <c>max_ejection_time</c>). Default 00:05:00, at least
    /// <see cref="BreakDuration"/> and at most 1.00:00:00.
    /// </summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = TrimmingJustification.TimeSpanRange)]
    [Range(typeof(TimeSpan), CircuitBreakerConstants.MinDurationText, CircuitBreakerConstants.MaxDurationText, ErrorMessage = "must be between {1} and {2}")]
    public TimeSpan MaxBreakDuration { get; set; } = CircuitBreakerConstants.DefaultMaxBreakDuration;

    /// <summary>
    /// Largest share (percent) of a cluster's destinations whose breakers may be open at once; a breaker that would
    /// exceed it stays closed (Envoy's <c>max_ejection_percent</c>). A cluster may always eject one destination, so a
    /// single-destination cluster still answers <c>circuit-open</c> at once. Default 50, between 0 and 100.
    /// </summary>
    [Range(0, 100, ErrorMessage = "must be between {1} and {2}")]
    public int MaxEjectionPercent { get; set; } = CircuitBreakerConstants.DefaultMaxEjectionPercent;
}
