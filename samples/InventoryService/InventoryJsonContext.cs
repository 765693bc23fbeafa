using System.Text.Json;
using System.Text.Json.Serialization;

namespace InventoryService;

/// <summary>An inventory record as served by <c>GET /inventory/items/{sku}</c>.</summary>
/// <param name="Sku">The stock-keeping unit asked for.</param>
/// <param name="Quantity">Units in stock (a stable made-up number).</param>
/// <param name="Instance">The instance that answered.</param>
public sealed record InventoryItem(string Sku, int Quantity, string Instance);

/// <summary>Answer of <c>/health</c> and <c>/admin/fail</c>.</summary>
/// <param name="Status"><c>ok</c> or <c>failing</c>.</param>
/// <param name="Instance">The instance that answered.</param>
public sealed record HealthReport(string Status, string Instance);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(InventoryItem))]
[JsonSerializable(typeof(HealthReport))]
internal sealed partial class InventoryJsonContext : JsonSerializerContext;
