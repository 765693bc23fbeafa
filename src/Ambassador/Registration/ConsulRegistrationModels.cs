using System.Text.Json.Serialization;

namespace Ambassador.Registration;

/// <summary>The body of <c>PUT /v1/agent/service/register</c>, in Consul's own field names.</summary>
internal sealed record ConsulServiceDefinition
{
    [JsonPropertyName("ID")]
    public required string Id { get; init; }

    [JsonPropertyName("Name")]
    public required string Name { get; init; }

    [JsonPropertyName("Tags")]
    public required IReadOnlyList<string> Tags { get; init; }

    [JsonPropertyName("Address")]
    public required string Address { get; init; }

    [JsonPropertyName("Port")]
    public required int Port { get; init; }

    [JsonPropertyName("Meta")]
    public required IReadOnlyDictionary<string, string> Meta { get; init; }

    [JsonPropertyName("Check")]
    public required ConsulCheckDefinition Check { get; init; }
}

/// <summary>The service's check. A TTL check has <c>TTL</c> and no <c>Interval</c> (Consul refuses both together).</summary>
internal sealed record ConsulCheckDefinition
{
    [JsonPropertyName("CheckID")]
    public required string CheckId { get; init; }

    [JsonPropertyName("Name")]
    public required string Name { get; init; }

    [JsonPropertyName("TTL")]
    public string? Ttl { get; init; }

    [JsonPropertyName("HTTP")]
    public string? Http { get; init; }

    [JsonPropertyName("Interval")]
    public string? Interval { get; init; }

    [JsonPropertyName("Timeout")]
    public string? Timeout { get; init; }

    /// <summary>Initial status: a TTL check is registered passing, because registration waits for a healthy app.</summary>
    [JsonPropertyName("Status")]
    public string? Status { get; init; }

    [JsonPropertyName("DeregisterCriticalServiceAfter")]
    public required string DeregisterCriticalServiceAfter { get; init; }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ConsulServiceDefinition))]
internal sealed partial class ConsulRegistrationJsonContext : JsonSerializerContext;
