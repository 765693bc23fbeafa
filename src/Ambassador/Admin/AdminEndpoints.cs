using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Ambassador.Configuration;
using Ambassador.Hosting;
using Ambassador.Policies;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace Ambassador.Admin;

/// <summary>The admin listener's endpoints: <c>/healthz</c>, <c>/readyz</c>, <c>/admin/config</c>, <c>/admin/clusters</c>, <c>/admin/memory</c>.</summary>
internal static class AdminEndpoints
{
    private const string Redacted = "***";

    /// <summary>Maps the admin endpoints; every endpoint of the returned group answers only on the admin listener.</summary>
    public static RouteGroupBuilder MapAmbassadorAdmin(this IEndpointRouteBuilder endpoints)
    {
        var admin = endpoints.MapGroup(string.Empty);
        admin.WithMetadata(AdminEndpointMetadata.Instance);
        admin.MapGet("/healthz", (RequestDelegate)Healthz);
        admin.MapGet("/readyz", (RequestDelegate)Readyz);
        admin.MapGet("/admin/config", (RequestDelegate)Config);
        admin.MapGet("/admin/clusters", (RequestDelegate)Clusters);
        admin.MapGet("/admin/memory", (RequestDelegate)Memory);
        return admin;
    }

    private static Task Healthz(HttpContext context) =>
        WriteJson(context, 200, new HealthResponse("ok"), AdminJsonContext.Default.HealthResponse);

    // Envoy's /memory: what the benchmark reads before and after a load for the bytes allocated per request, also
    // with metrics switched off.
    private static Task Memory(HttpContext context) =>
        WriteJson(context, 200, new MemoryResponse(GC.GetTotalAllocatedBytes(), GC.GetGCMemoryInfo().HeapSizeBytes,
            GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)), AdminJsonContext.Default.MemoryResponse);

    private static Task Readyz(HttpContext context)
    {
        var services = context.RequestServices;
        var reasons = new List<string>();
        if (services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested)
        {
            reasons.Add("shutting down: draining in-flight requests");
        }

        var discovery = services.GetService<IClusterDiscoveryStatus>();
        foreach (var cluster in services.GetRequiredService<IProxyStateLookup>().GetClusters())
        {
            var id = cluster.ClusterId;
            var status = discovery?.GetStatus(id);
            if (status is not null && status.Source != "static")
            {
                if (!status.Resolved)
                {
                    reasons.Add($"cluster '{id}': {status.Source} has not resolved it yet{(status.LastError is null ? string.Empty : $" ({status.LastError})")}");
                }
            }
            else if (cluster.Destinations.IsEmpty)
            {
                reasons.Add($"cluster '{id}' has no destinations");
            }
        }

        foreach (var contributor in services.GetServices<IReadinessContributor>())
        {
            contributor.AddUnreadyReasons(reasons);
        }

        return reasons.Count == 0
            ? WriteJson(context, 200, new ReadinessResponse("ready", reasons), AdminJsonContext.Default.ReadinessResponse)
            : WriteJson(context, 503, new ReadinessResponse("unready", reasons), AdminJsonContext.Default.ReadinessResponse);
    }

    private static Task Clusters(HttpContext context)
    {
        var services = context.RequestServices;
        var discovery = services.GetService<IClusterDiscoveryStatus>();
        var breakers = services.GetService<IBreakerStateSource>();
        var stats = services.GetRequiredService<DestinationStatsRegistry>();
        var limiters = services.GetService<Ambassador.Policies.Limits.ClusterLimiterRegistry>();
        var clusters = new List<ClusterView>();
        foreach (var cluster in services.GetRequiredService<IProxyStateLookup>().GetClusters().OrderBy(c => c.ClusterId, StringComparer.Ordinal))
        {
            var config = cluster.Model.Config;
            var status = discovery?.GetStatus(cluster.ClusterId);
            var limiter = limiters?.Find(cluster.ClusterId);
            var destinations = new List<DestinationView>();
            foreach (var destination in cluster.Destinations.Values.OrderBy(d => d.DestinationId, StringComparer.Ordinal))
            {
                var (requests, failures) = stats.Get(cluster.ClusterId, destination.DestinationId);
                var ejection = breakers?.GetEjection(cluster.ClusterId, destination.DestinationId) ?? default;
                destinations.Add(new DestinationView(
                    destination.DestinationId,
                    destination.Model.Config.Address,
                    FormatHealth(destination.Health),
                    FormatBreaker(breakers?.GetState(cluster.ClusterId, destination.DestinationId) ?? BreakerState.Closed),
                    destination.ConcurrentRequestCount,
                    requests,
                    failures,
                    ejection.Ejections,
                    ejection.ReturnsAt));
            }

            clusters.Add(new ClusterView(
                cluster.ClusterId,
                status?.Source ?? "static",
                PolicyProvider.PolicyNameOf(config) ?? PolicyConstants.DefaultPolicyName,
                status is null ? null : new DiscoveryView(status.Index, status.LastSuccess, status.LastError),
                limiter?.InFlight ?? 0,
                limiter?.Queued ?? 0,
                limiter?.RetriesInFlight ?? 0,
                destinations));
        }

        return WriteJson(context, 200, new ClustersResponse(clusters), AdminJsonContext.Default.ClustersResponse);
    }

    private static Task Config(HttpContext context)
    {
        var services = context.RequestServices;
        var gate = services.GetRequiredService<ConfigGate>();
        var (routes, clusters) = ProxyConfigReader.Read(gate.Validated, new ConfigProblems());
        var routeViews = routes
            .OrderBy(r => r.RouteId, StringComparer.Ordinal)
            .Select(r => new RouteView(r.RouteId, r.ClusterId, r.Order, r.Match.Path, r.Match.Hosts, r.Match.Methods, r.Transforms, Redact(r.Metadata)))
            .ToList();
        var clusterViews = clusters
            .OrderBy(c => c.ClusterId, StringComparer.Ordinal)
            .Select(c => new ClusterConfigView(
                c.ClusterId,
                c.LoadBalancingPolicy,
                Redact(c.Metadata),
                (c.Destinations ?? new Dictionary<string, Yarp.ReverseProxy.Configuration.DestinationConfig>())
                    .OrderBy(d => d.Key, StringComparer.Ordinal)
                    .Select(d => new DestinationConfigView(d.Key, d.Value.Address, d.Value.Host))
                    .ToList()))
            .ToList();

        var ambassador = new SortedDictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in gate.Validated.GetSection("Ambassador").AsEnumerable(makePathsRelative: true))
        {
            if (value is not null)
            {
                ambassador[key] = IsSecretKey(key) ? Redacted : value;
            }
        }

        foreach (var contributor in services.GetServices<IAdminConfigContributor>())
        {
            contributor.Contribute(ambassador);
        }

        return WriteJson(context, 200, new ConfigResponse(routeViews, clusterViews, ambassador, gate.LastRejection), AdminJsonContext.Default.ConfigResponse);
    }

    /// <summary>True for keys whose values are secrets (tokens, passwords, private keys) and must never be shown.</summary>
    internal static bool IsSecretKey(string key)
    {
        var last = key[(key.LastIndexOf(':') + 1)..];
        return last.EndsWith("Token", StringComparison.OrdinalIgnoreCase)
            || last.EndsWith("Password", StringComparison.OrdinalIgnoreCase)
            || last.EndsWith("Secret", StringComparison.OrdinalIgnoreCase)
            || last.Equals("ApiKey", StringComparison.OrdinalIgnoreCase)
            || last.Equals("Key", StringComparison.OrdinalIgnoreCase);
    }

    private static Dictionary<string, string>? Redact(IReadOnlyDictionary<string, string>? metadata) =>
        metadata?.ToDictionary(p => p.Key, p => IsSecretKey(p.Key) ? Redacted : p.Value, StringComparer.OrdinalIgnoreCase);

    private static string FormatHealth(DestinationHealthState health)
    {
        if (health.Active == DestinationHealth.Unhealthy || health.Passive == DestinationHealth.Unhealthy)
        {
            return "unhealthy";
        }

        return health.Active == DestinationHealth.Healthy || health.Passive == DestinationHealth.Healthy ? "healthy" : "unknown";
    }

    private static string FormatBreaker(BreakerState state) => state switch
    {
        BreakerState.Open => "open",
        BreakerState.HalfOpen => "half-open",
        _ => "closed",
    };

    private static async Task WriteJson<T>(HttpContext context, int status, T value, JsonTypeInfo<T> typeInfo)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        await JsonSerializer.SerializeAsync(context.Response.Body, value, typeInfo, context.RequestAborted).ConfigureAwait(false);
    }
}

/// <summary>Lets a feature add derived values (e.g. certificate expiry) to <c>/admin/config</c>'s <c>ambassador</c> map.</summary>
public interface IAdminConfigContributor
{
    /// <summary>Adds or overrides entries; values must never contain secrets.</summary>
    void Contribute(IDictionary<string, string?> values);
}
