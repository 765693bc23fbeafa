namespace InventoryService;

/// <summary>Options of the inventory sample (section <c>Inventory</c>).</summary>
public sealed class InventoryOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Inventory";

    /// <summary>
    /// Name reported in responses and <c>x-served-by</c>. Default: <c>inventory@&lt;host&gt;:&lt;port&gt;</c>
    /// from the first listening address.
    /// </summary>
    public string? InstanceName { get; set; }

    /// <summary>Start in failing mode (every item request and <c>/health</c> answer 503). Default: false.
    /// Env: <c>Inventory__Fail=true</c>.</summary>
    public bool Fail { get; set; }
}
