namespace Ambassador.Policies.LoadBalancing;

/// <summary>Names and defaults of Ambassador's load-balancing policies.</summary>
public static class LoadBalancingConstants
{
    /// <summary>The name a cluster gives in <c>LoadBalancingPolicy</c> to pick <c>PeakEwma</c>.</summary>
    public const string PeakEwma = "PeakEwma";

    /// <summary>
    /// The least a failed or throttled (429) attempt counts as: 10 ms, so a destination that fails fast never looks
    /// faster than one that answers; it also counts as at least twice the destination's current estimate.
    /// </summary>
    public static readonly TimeSpan FailurePenaltyFloor = TimeSpan.FromMilliseconds(10);
}
