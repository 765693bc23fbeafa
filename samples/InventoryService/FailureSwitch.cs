using Microsoft.Extensions.Options;

namespace InventoryService;

/// <summary>Whether this instance answers 503 on purpose; toggled by <c>POST/DELETE /admin/fail</c>.</summary>
internal sealed class FailureSwitch(IOptions<InventoryOptions> options)
{
    private volatile bool _failing = options.Value.Fail;

    public bool IsFailing
    {
        get => _failing;
        set => _failing = value;
    }
}
