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
    /// <summary>See <see cref="PolicyOptionTable.FailureRatio"/>.</summary>
    public double FailureRatio { get; set; } = PolicyOptionTable.FailureRatio.Default;

    /// <summary>See <see cref="PolicyOptionTable.MinimumThroughput"/>.</summary>
    public int MinimumThroughput { get; set; } = PolicyOptionTable.MinimumThroughput.Default;

    /// <summary>See <see cref="PolicyOptionTable.SamplingDuration"/>.</summary>
    public TimeSpan SamplingDuration { get; set; } = PolicyOptionTable.SamplingDuration.Default;

    /// <summary>See <see cref="PolicyOptionTable.BreakDuration"/>.</summary>
    public TimeSpan BreakDuration { get; set; } = PolicyOptionTable.BreakDuration.Default;

    /// <summary>See <see cref="PolicyOptionTable.ConsecutiveFailures"/>.</summary>
    public int ConsecutiveFailures { get; set; } = PolicyOptionTable.ConsecutiveFailures.Default;

    /// <summary>See <see cref="PolicyOptionTable.MaxBreakDuration"/>.</summary>
    public TimeSpan MaxBreakDuration { get; set; } = PolicyOptionTable.MaxBreakDuration.Default;

    /// <summary>See <see cref="PolicyOptionTable.MaxEjectionPercent"/>.</summary>
    public int MaxEjectionPercent { get; set; } = PolicyOptionTable.MaxEjectionPercent.Default;
}
