using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrderService;

/// <summary>An inventory record as the inventory service returns it.</summary>
/// <param name="Sku">Stock-keeping unit.</param>
/// <param name="Quantity">Units in stock.</param>
/// <param name="Instance">The inventory instance that answered (shows load balancing and retries).</param>
public sealed record InventoryItem(string Sku, int Quantity, string Instance);

/// <summary>Answer of <c>GET /orders/{sku}</c>: can this SKU be ordered?</summary>
/// <param name="Sku">Stock-keeping unit.</param>
/// <param name="Quantity">Units in stock.</param>
/// <param name="Orderable">True when in stock.</param>
/// <param name="InventoryInstance">The inventory instance the sidecar picked.</param>
public sealed record OrderQuote(string Sku, int Quantity, bool Orderable, string InventoryInstance);

/// <summary>Answer of <c>/health</c>.</summary>
/// <param name="Status"><c>Healthy</c> or <c>Unhealthy</c>.</param>
/// <param name="Sidecar">What the sidecar check found.</param>
public sealed record HealthAnswer(string Status, string? Sidecar);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(InventoryItem))]
[JsonSerializable(typeof(OrderQuote))]
[JsonSerializable(typeof(HealthAnswer))]
internal sealed partial class OrderJsonContext : JsonSerializerContext;
