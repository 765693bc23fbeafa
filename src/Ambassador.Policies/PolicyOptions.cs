using Ambassador.Policies.CircuitBreaker;
using Ambassador.Policies.Limits;
using Ambassador.Policies.LoadBalancing;
using Ambassador.Policies.Retry;
using Ambassador.Policies.Timeout;

namespace Ambassador.Policies;

/// <summary>
/// One named resilience policy, bound from <c>Ambassador:Policies:&lt;name&gt;</c>.
/// A cluster selects it with <c>ReverseProxy:Clusters:&lt;id&gt;:Metadata:Policy</c>.
/// Keys, defaults and ranges are declared in <see cref="PolicyOptionTable"/>.
/// </summary>
public sealed class PolicyOptions
{
    /// <summary>Retries to another destination, the retry budget and request body replay.</summary>
    public RetryPolicyOptions Retry { get; set; } = new();

    /// <summary>The per-destination circuit breaker.</summary>
    public CircuitBreakerPolicyOptions CircuitBreaker { get; set; } = new();

    /// <summary>Per-attempt and whole-request timeouts.</summary>
    public TimeoutPolicyOptions Timeout { get; set; } = new();

    /// <summary>Per-cluster concurrency limits: requests in flight, queued, and retries in flight.</summary>
    public LimitsPolicyOptions Limits { get; set; } = new();

    /// <summary>Settings of Ambassador's load balancers (<c>PeakEwma</c>) for the clusters using this policy.</summary>
    public LoadBalancingPolicyOptions LoadBalancing { get; set; } = new();
}

/// <summary>All configured policies, bound from the <c>Ambassador</c> section (only its <c>Policies</c> child).</summary>
public sealed class PolicyCatalogOptions
{
    /// <summary>Policies by name (case-insensitive). Empty by default; a built-in <c>default</c> policy always exists.</summary>
    public Dictionary<string, PolicyOptions> Policies { get; } = new(StringComparer.OrdinalIgnoreCase);
}
