using System.Collections.Frozen;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;
using Yarp.ReverseProxy.SessionAffinity;

namespace Ambassador.Policies.Proxy;

/// <summary>
/// YARP's own session-affinity and load-balancing policies, asked by the attempt loop for the one destination of an
/// attempt among those the breakers admit. YARP's steps after the policy then see exactly that destination.
/// </summary>
internal sealed class DestinationPicker
{
    private const string DefaultLoadBalancingPolicy = "PowerOfTwoChoices";
    private const string DefaultAffinityPolicy = "HashCookie";

    private readonly FrozenDictionary<string, ILoadBalancingPolicy> _loadBalancers;
    private readonly FrozenDictionary<string, ISessionAffinityPolicy> _affinityPolicies;

    public DestinationPicker(IEnumerable<ILoadBalancingPolicy> loadBalancers, IEnumerable<ISessionAffinityPolicy> affinityPolicies)
    {
        _loadBalancers = loadBalancers.ToFrozenDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        _affinityPolicies = affinityPolicies.ToFrozenDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The destination the request's affinity key (YARP session affinity, enabled on the cluster) names among
    /// <paramref name="pool"/>, or null when the request carries no valid key or its destination is not in the pool.
    /// YARP's session affinity step then sees that one destination and keeps the key, or applies the cluster's
    /// <c>FailurePolicy</c> to another one (Redistribute: the response carries the new key).
    /// </summary>
    public DestinationState? FindAffinitized(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> pool)
    {
        var config = cluster.Model.Config.SessionAffinity!;
        if (!_affinityPolicies.TryGetValue(config.Policy ?? DefaultAffinityPolicy, out var policy))
        {
            return null;
        }

        var result = policy.FindAffinitizedDestinations(context, cluster, config, pool);
        return result.Status == AffinityStatus.OK && result.Destinations is { Count: > 0 } found ? found[0] : null;
    }

    /// <summary>The cluster's load-balancing choice among <paramref name="pool"/> (random when the policy picks none).</summary>
    public DestinationState PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> pool)
    {
        var name = cluster.Model.Config.LoadBalancingPolicy ?? DefaultLoadBalancingPolicy;
        var picked = _loadBalancers.TryGetValue(name, out var balancer) ? balancer.PickDestination(context, cluster, pool) : null;
        return picked ?? pool[Random.Shared.Next(pool.Count)];
    }
}
