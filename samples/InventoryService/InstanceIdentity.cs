using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace InventoryService;

/// <summary>
/// The instance's name. By default it comes from the listening address, which is only known once the server has
/// started (ports may be 0), so it is computed on first use.
/// </summary>
internal sealed class InstanceIdentity(IServer server, IOptions<InventoryOptions> options)
{
    private string? _name;

    public string Name => _name ??= options.Value.InstanceName is { Length: > 0 } configured
        ? configured
        : ListeningAddress() is { } address ? $"inventory@{address.Host}:{address.Port}" : "inventory";

    // The first address the server listens on, or null before the server has started.
    private Uri? ListeningAddress()
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses;
        var first = addresses?.FirstOrDefault();
        if (first is null)
        {
            return null;
        }

        // Kestrel reports wildcards as http://[::]:80 or http://+:80; Uri accepts the former only.
        first = first.Replace("://+:", "://0.0.0.0:", StringComparison.Ordinal)
                     .Replace("://*:", "://0.0.0.0:", StringComparison.Ordinal);
        return Uri.TryCreate(first, UriKind.Absolute, out var uri) ? uri : null;
    }
}
