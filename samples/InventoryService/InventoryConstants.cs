namespace InventoryService;

/// <summary>Defaults and fixed names of the inventory sample.</summary>
public static class InventoryConstants
{
    /// <summary>Response header naming the instance that answered, so a caller can see load balancing and retries.</summary>
    public const string ServedByHeader = "x-served-by";
}
