using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Ambassador.Policies.LoadBalancing;

/// <summary>
/// <c>PeakEwma</c> (Linkerd's default balancer): power of two random choices, picking the one with the lower
/// peak-EWMA latency × (requests in flight + 1). YARP's <c>PowerOfTwoChoices</c> looks at requests in flight only, so it
/// keeps sending a slow destination its share as long as requests finish; this one moves traffic away from it first.
/// Latency samples come from <see cref="AttemptLatencyRecorder"/>, one per attempt.
/// </summary>
internal sealed class PeakEwmaLoadBalancingPolicy(PeakEwmaRegistry estimates, PolicyProvider policies) : ILoadBalancingPolicy
{
    public string Name => LoadBalancingConstants.PeakEwma;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        var count = availableDestinations.Count;
        if (count <= 1)
        {
            return count == 0 ? null : availableDestinations[0];
        }

        var first = Random.Shared.Next(count);
        var second = Random.Shared.Next(count - 1);
        if (second >= first)
        {
            second++;
        }

        var window = policies.ForRequest(cluster.Model.Config)?.Options.LoadBalancing.DecayWindow ?? PolicyOptionTable.DecayWindow.Default;
        var a = availableDestinations[first];
        var b = availableDestinations[second];
        return Cost(estimates, cluster.ClusterId, a, window) <= Cost(estimates, cluster.ClusterId, b, window) ? a : b;
    }

    /// <summary>What a pick costs: its peak-EWMA latency × (requests in flight + 1); the lower one is chosen.</summary>
    internal static double Cost(PeakEwmaRegistry estimates, string clusterId, DestinationState destination, TimeSpan window)
        => estimates.Estimate(clusterId, destination.DestinationId, window) * (destination.ConcurrentRequestCount + 1);
}
