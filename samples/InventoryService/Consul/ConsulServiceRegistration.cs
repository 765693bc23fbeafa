using System.Text.Json.Serialization;

namespace InventoryService.Consul;

/// <summary>Body of Consul's <c>PUT /v1/agent/service/register</c> (Consul's own field names).</summary>
internal sealed record ConsulServiceRegistration(
    [property: JsonPropertyName("ID")] string Id,
    [property: JsonPropertyName("Name")] string Name,
    [property: JsonPropertyName("Tags")] IReadOnlyList<string> Tags,
    [property: JsonPropertyName("Address")] string Address,
    [property: JsonPropertyName("Port")] int Port,
    [property: JsonPropertyName("Check")] ConsulHttpCheck Check);

/// <summary>An HTTP health check Consul runs against the instance.</summary>
internal sealed record ConsulHttpCheck(
    [property: JsonPropertyName("HTTP")] string Http,
    [property: JsonPropertyName("Interval")] string Interval,
    [property: JsonPropertyName("Timeout")] string Timeout,
    [property: JsonPropertyName("DeregisterCriticalServiceAfter")] string DeregisterCriticalServiceAfter);
