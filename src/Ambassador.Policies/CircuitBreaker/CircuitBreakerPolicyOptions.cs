using System.Diagnostics.CodeAnalysis;
using System.ComponentModel.DataAnnotations;

namespace Ambassador.Policies.CircuitBreaker;

/// <summary>
/// Per-destination circuit breaker (<c>...:CircuitBreaker</c>). A destination whose failures reach
/// <see cref="FailureRatio"/> of at least <see cref="MinimumThroughput"/> attempts within <see cref="SamplingDuration"/>
/// leaves load balancing for <see cref="BreakDuration"/>; then one probe request decides whether it returns.
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
}
