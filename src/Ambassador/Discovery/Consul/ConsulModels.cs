using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ambassador.Discovery.Consul;

/// <summary>One entry of <c>GET /v1/health/service/{name}</c>: an instance with its node and checks.</summary>
internal sealed record ConsulServiceEntry
{
    [JsonPropertyName("Node")]
    public ConsulNode? Node { get; init; }

    [JsonPropertyName("Service")]
    public ConsulAgentService? Service { get; init; }

    [JsonPropertyName("Checks")]
    public IReadOnlyList<ConsulHealthCheck>? Checks { get; init; }
}

/// <summary>The node an instance runs on.</summary>
internal sealed record ConsulNode
{
    [JsonPropertyName("Node")]
    public string? Name { get; init; }

    [JsonPropertyName("Address")]
    public string? Address { get; init; }

    [JsonPropertyName("Datacenter")]
    public string? Datacenter { get; init; }
}

/// <summary>The service instance as registered.</summary>
internal sealed record ConsulAgentService
{
    [JsonPropertyName("ID")]
    public string? Id { get; init; }

    [JsonPropertyName("Service")]
    public string? Name { get; init; }

    [JsonPropertyName("Address")]
    public string? Address { get; init; }

    [JsonPropertyName("Port")]
    public int Port { get; init; }

    [JsonPropertyName("Tags")]
    public IReadOnlyList<string>? Tags { get; init; }
}

/// <summary>A health check of an instance or its node.</summary>
internal sealed record ConsulHealthCheck
{
    [JsonPropertyName("CheckID")]
    public string? CheckId { get; init; }

    [JsonPropertyName("ServiceID")]
    public string? ServiceId { get; init; }

    /// <summary><c>passing</c>, <c>warning</c> or <c>critical</c> (maintenance shows as critical).</summary>
    [JsonPropertyName("Status")]
    public string? Status { get; init; }
}

/// <summary>Source-generated (trim- and AOT-safe) serializer metadata for Consul's answers.</summary>
[JsonSourceGenerationOptions(
    GenerationMode = JsonSourceGenerationMode.Metadata,
    ReadCommentHandling = JsonCommentHandling.Disallow,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(ConsulServiceEntry[]))]
internal sealed partial class ConsulJsonContext : JsonSerializerContext;
