namespace Ambassador.Policies.LoadBalancing;

/// <summary>Names and defaults of Ambassador's load-balancing policies.</summary>
public static class LoadBalancingConstants
{
    /// <summary>The name a cluster gives in <c>LoadBalancingPolicy</c> to pick <c>PeakEwma</c>.</summary>
    public const string PeakEwma = "PeakEwma";

    /// <summary>Time over which a latency sample loses weight (its influence falls to 1/e): 10 s, Linkerd's default.</summary>
    public static readonly TimeSpan DefaultDecayWindow = TimeSpan.FromSeconds(10);

    /// <summary>Shortest decay window: 100 ms.</summary>
    public const string MinDecayWindowText = "00:00:00.100";

    /// <summary>Longest decay window: 10 min.</summary>
    public const string MaxDecayWindowText = "00:10:00";

    /// <summary>
    /// The least a failed or throttled (429) attempt counts as: 10 ms, so a destination that fails fast never looks
    /// faster than one that answers; it also counts as at least twice the destination's current estimate.
    /// </summary>
    public static readonly TimeSpan FailurePenaltyFloor = TimeSpan.FromMilliseconds(10);
}
