using System.Net;
using Microsoft.Extensions.Options;

namespace OrderService;

/// <summary>
/// Typed client for the inventory service. Its <see cref="HttpClient.BaseAddress"/> is the local sidecar
/// (<c>http://localhost:3000</c>): discovery, load balancing, retries and breakers happen there.
/// </summary>
internal sealed partial class InventoryClient(HttpClient http, IOptions<AmbassadorClientOptions> options, ILogger<InventoryClient> logger)
{
    public async Task<InventoryLookup> GetItemAsync(string sku, CancellationToken cancellationToken)
    {
        var sidecar = options.Value.BaseAddress;
        try
        {
            using var response = await http.GetAsync(
                $"inventory/items/{Uri.EscapeDataString(sku)}", HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var ambassadorError = response.Headers.TryGetValues(AmbassadorClientConstants.AmbassadorErrorHeader, out var values)
                ? values.FirstOrDefault()
                : null;

            if (response.IsSuccessStatusCode)
            {
                var item = await response.Content.ReadFromJsonAsync(OrderJsonContext.Default.InventoryItem, cancellationToken);
                return item is null
                    ? Unavailable("inventory-bad-answer", "Inventory answered with an empty body.")
                    : new InventoryLookup.Found(item);
            }

            if (ambassadorError is not null)
            {
                // The sidecar could not forward (no route, no healthy instance, open breakers, timeouts).
                LogSidecarError(logger, (int)response.StatusCode, ambassadorError);
                return Unavailable(
                    ambassadorError,
                    $"The ambassador could not get an answer from inventory ({(int)response.StatusCode} {ambassadorError}).");
            }

            if (response.StatusCode == HttpStatusCode.BadRequest)
            {
                return new InventoryLookup.Rejected("Inventory rejected the SKU.");
            }

            // An upstream answer that the sidecar passed through after its last attempt.
            LogUpstreamError(logger, (int)response.StatusCode);
            return Unavailable("inventory-error", $"Inventory answered {(int)response.StatusCode} after the ambassador's retries.");
        }
        catch (HttpRequestException ex)
        {
            LogSidecarUnreachable(logger, sidecar, ex.Message);
            return Unavailable(
                "ambassador-unreachable",
                $"The ambassador sidecar at {sidecar} is not reachable ({ex.Message}). Is it running?");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // HttpClient.Timeout elapsed: fail fast rather than hang the caller.
            var timeout = options.Value.Timeout;
            LogSidecarTimeout(logger, sidecar, timeout);
            return Unavailable(
                "ambassador-timeout",
                $"No answer through the ambassador sidecar at {sidecar} within {timeout.TotalSeconds:0.#} s.");
        }
    }

    private static InventoryLookup.Unavailable Unavailable(string reason, string detail) => new(reason, detail);
}

/// <summary>Outcome of an inventory lookup.</summary>
internal abstract record InventoryLookup
{
    private InventoryLookup()
    {
    }

    public sealed record Found(InventoryItem Item) : InventoryLookup;

    public sealed record Rejected(string Detail) : InventoryLookup;

    public sealed record Unavailable(string Reason, string Detail) : InventoryLookup;
}
