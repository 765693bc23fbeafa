
namespace Ambassador.Policies.LoadBalancing;

/// <summary>
/// Settings of Ambassador's load-balancing policies for the clusters that use this resilience policy
/// (<c>...:LoadBalancing</c>); the cluster still chooses its balancer with YARP's <c>LoadBalancingPolicy</c>.
/// </summary>
public sealed record LoadBalancingPolicyOptions
{
    /// <summary>
    /// <c>PeakEwma</c>: time over which a latency sample decays (Linkerd's <c>decay</c>). Default 00:00:10, between
    /// 00:00:00.100 and 00:10:00.
    /// </summary>
    public TimeSpan DecayWindow { get; set; } = PolicyOptionTable.DecayWindow.Default;
}
