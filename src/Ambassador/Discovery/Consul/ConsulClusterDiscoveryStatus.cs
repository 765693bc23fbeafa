using Ambassador.Admin;

namespace Ambassador.Discovery.Consul;

/// <summary>
/// Per-cluster discovery state for <c>/admin/clusters</c> and <c>/readyz</c>: null (static) for a cluster whose
/// destinations are all literal addresses or when Consul is not configured; otherwise the state of the service
/// watches the cluster uses, combined (resolved only when every one of its services has answered once).
/// </summary>
internal sealed class ConsulClusterDiscoveryStatus(ConsulDiscovery discovery, ClusterServiceMap clusters) : IClusterDiscoveryStatus
{
    /// <summary>The <c>source</c> value of a discovered cluster.</summary>
    public const string Source = "consul";

    /// <inheritdoc />
    public ClusterDiscoveryStatus? GetStatus(string clusterId)
    {
        var services = clusters.ServicesOf(clusterId);
        if (services.Count == 0)
        {
            return null;
        }

        long? index = null;
        DateTimeOffset? lastSuccess = null;
        string? lastError = null;
        var resolved = true;
        var first = true;
        foreach (var service in services)
        {
            var snapshot = discovery.FindWatcher(service)?.Snapshot ?? ConsulServiceSnapshot.Empty;
            resolved &= snapshot.Resolved;
            if (snapshot.Resolved)
            {
                index = index is null ? snapshot.Index : Math.Max(index.Value, snapshot.Index);
            }

            // The cluster is as fresh as its stalest service.
            lastSuccess = first ? snapshot.LastSuccess
                : lastSuccess is null || snapshot.LastSuccess is null ? null
                : snapshot.LastSuccess < lastSuccess ? snapshot.LastSuccess : lastSuccess;
            lastError ??= snapshot.LastError is null ? null
                : services.Count == 1 ? snapshot.LastError : $"{service}: {snapshot.LastError}";
            first = false;
        }

        return new ClusterDiscoveryStatus(Source, index, lastSuccess, lastError, resolved);
    }
}
