using System.Collections.Frozen;
using Ambassador.Policies.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Configuration;

namespace Ambassador.Policies;

/// <summary>
/// The live set of policies. Bound through <see cref="IOptionsMonitor{TOptions}"/> from the validated configuration,
/// so a reload that passed validation swaps every policy at once; requests in flight finish on the old one.
/// </summary>
internal sealed partial class PolicyProvider : IDisposable
{
    private readonly TimeProvider _timeProvider;
    private readonly ResilienceTelemetry? _telemetry;
    private readonly ILogger _logger;
    private readonly IOptionsMonitor<PolicyCatalogOptions> _options;
    private readonly IDisposable? _subscription;
    private volatile Snapshot? _snapshot;

    public PolicyProvider(IOptionsMonitor<PolicyCatalogOptions> options, TimeProvider timeProvider, ILogger<PolicyProvider> logger, ResilienceTelemetry? telemetry = null)
    {
        _timeProvider = timeProvider;
        _telemetry = telemetry;
        _logger = logger;
        _options = options;

        // Built on first use, not here: the host may build the pipeline before its configuration is validated.
        _subscription = options.OnChange(catalog =>
        {
            _snapshot = Build(catalog);
            LogReloaded(_logger, _snapshot.Policies.Count);
        });
    }

    /// <summary>The policy a cluster names in <c>Metadata:Policy</c>, or <c>default</c>.</summary>
    public ResolvedPolicy ForCluster(ClusterConfig? cluster) => Named(cluster, PolicyNameOf(cluster));

    /// <summary>
    /// The policy the policy step applies to a request for <paramref name="cluster"/>: null when the cluster names
    /// <c>none</c> (no resilience step at all: one attempt, YARP's own timeouts).
    /// </summary>
    public ResolvedPolicy? ForRequest(ClusterConfig? cluster)
    {
        var name = PolicyNameOf(cluster);
        return string.Equals(name, PolicyConstants.NoPolicyName, StringComparison.OrdinalIgnoreCase) ? null : Named(cluster, name);
    }

    private ResolvedPolicy Named(ClusterConfig? cluster, string? name)
    {
        var snapshot = Current;
        if (name is null)
        {
            return snapshot.Default;
        }

        if (snapshot.Policies.TryGetValue(name, out var policy))
        {
            return policy;
        }

        // Validation rejects unknown names; a config source that bypassed it still gets a working policy.
        LogUnknownPolicy(_logger, cluster!.ClusterId, name);
        return snapshot.Default;
    }

    /// <summary>The policy name a cluster selects (null when it names none).</summary>
    public static string? PolicyNameOf(ClusterConfig? cluster)
    {
        var metadata = cluster?.Metadata;
        if (metadata is null || metadata.Count == 0)
        {
            return null;
        }

        if (!metadata.TryGetValue(PolicyConstants.ClusterMetadataKey, out var name))
        {
            foreach (var pair in metadata)
            {
                if (string.Equals(pair.Key, PolicyConstants.ClusterMetadataKey, StringComparison.OrdinalIgnoreCase))
                {
                    name = pair.Value;
                    break;
                }
            }
        }

        return string.IsNullOrWhiteSpace(name) ? null : name.Trim();
    }

    public void Dispose() => _subscription?.Dispose();

    private Snapshot Current => _snapshot ??= Build(_options.CurrentValue);

    private Snapshot Build(PolicyCatalogOptions catalog)
    {
        var policies = new Dictionary<string, ResolvedPolicy>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, options) in catalog.Policies)
        {
            policies[name] = new ResolvedPolicy(name, options, _timeProvider, _telemetry);
        }

        if (!policies.TryGetValue(PolicyConstants.DefaultPolicyName, out var fallback))
        {
            fallback = new ResolvedPolicy(PolicyConstants.DefaultPolicyName, new PolicyOptions(), _timeProvider, _telemetry);
            policies[PolicyConstants.DefaultPolicyName] = fallback;
        }

        return new Snapshot(policies.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase), fallback);
    }

    private sealed record Snapshot(FrozenDictionary<string, ResolvedPolicy> Policies, ResolvedPolicy Default);

    [LoggerMessage(EventId = 4001, EventName = "PoliciesReloaded", Level = LogLevel.Information, Message = "Resilience policies reloaded ({Count} policies).")]
    private static partial void LogReloaded(ILogger logger, int count);

    [LoggerMessage(EventId = 4002, EventName = "UnknownPolicy", Level = LogLevel.Warning,
        Message = "Cluster '{ClusterId}' names policy '{Policy}', which does not exist; using 'default'.")]
    private static partial void LogUnknownPolicy(ILogger logger, string clusterId, string policy);
}
