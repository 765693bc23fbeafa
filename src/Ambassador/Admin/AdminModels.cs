using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ambassador.Admin;

internal sealed record ClustersResponse(IReadOnlyList<ClusterView> Clusters);

internal sealed record ClusterView(
    string Id,
    string Source,
    string Policy,
    DiscoveryView? Discovery,
    int InFlight,
    int Queued,
    int RetriesInFlight,
    IReadOnlyList<DestinationView> Destinations);

internal sealed record DiscoveryView(long? Index, DateTimeOffset? LastSuccess, string? LastError);

internal sealed record DestinationView(
    string Id,
    string Address,
    string Health,
    string Breaker,
    int InFlight,
    long Requests,
    long Failures,
    int Ejections,
    DateTimeOffset? ReturnsAt);

internal sealed record ReadinessResponse(string Status, IReadOnlyList<string> Reasons);

internal sealed record HealthResponse(string Status);

/// <summary><c>/admin/memory</c>: the managed heap as the runtime counts it (bytes allocated since start, heap size, collections).</summary>
internal sealed record MemoryResponse(long AllocatedBytes, long HeapSizeBytes, int Gen0Collections, int Gen1Collections, int Gen2Collections);

internal sealed record ConfigResponse(
    IReadOnlyList<RouteView> Routes,
    IReadOnlyList<ClusterConfigView> Clusters,
    IReadOnlyDictionary<string, string?> Ambassador,
    IReadOnlyList<string>? LastRejectedReload);

internal sealed record RouteView(
    string Id,
    string? ClusterId,
    int? Order,
    string? Path,
    IReadOnlyList<string>? Hosts,
    IReadOnlyList<string>? Methods,
    IReadOnlyList<IReadOnlyDictionary<string, string>>? Transforms,
    IReadOnlyDictionary<string, string>? Metadata);

internal sealed record ClusterConfigView(
    string Id,
    string? LoadBalancingPolicy,
    IReadOnlyDictionary<string, string>? Metadata,
    IReadOnlyList<DestinationConfigView> Destinations);

internal sealed record DestinationConfigView(string Id, string Address, string? Host);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(ClustersResponse))]
[JsonSerializable(typeof(ReadinessResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(MemoryResponse))]
[JsonSerializable(typeof(ConfigResponse))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
