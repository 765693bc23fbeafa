namespace Ambassador.Policies.CircuitBreaker;

/// <summary>
/// Per-destination circuit breaker (<c>...:CircuitBreaker</c>). A destination whose failures reach
/// <see cref="FailureRatio"/> of at least <see cref="MinimumThroughput"/> attempts within <see cref="SamplingDuration"/>
/// leaves load balancing for <see cref="BreakDuration"/>; then one probe request decides whether it returns.
/// </summary>
public sealed record CircuitBreakerPolicyOptions
{
    /// <summary>See <see cref="PolicyOptionTable.FailureRatio"/>.</summary>
    public double FailureRatio { get; set; } = PolicyOptionTable.FailureRatio.Default;

    /// <summary>See <see cref="PolicyOptionTable.MinimumThroughput"/>.</summary>
    public int MinimumThroughput { get; set; } = PolicyOptionTable.MinimumThroughput.Default;

    /// <summary>See <see cref="PolicyOptionTable.SamplingDuration"/>.</summary>
    public TimeSpan SamplingDuration { get; set; } = PolicyOptionTable.SamplingDuration.Default;

    /// <summary>See <see cref="PolicyOptionTable.BreakDuration"/>.</summary>
    public TimeSpan BreakDuration { get; set; } = PolicyOptionTable.BreakDuration.Default;
}
