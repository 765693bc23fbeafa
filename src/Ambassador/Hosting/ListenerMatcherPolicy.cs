using Microsoft.AspNetCore.Routing.Matching;

namespace Ambassador.Hosting;

/// <summary>Marks an endpoint as served only on the admin listener.</summary>
public sealed class AdminEndpointMetadata
{
    /// <summary>The one instance.</summary>
    public static readonly AdminEndpointMetadata Instance = new();

    private AdminEndpointMetadata()
    {
    }
}

/// <summary>
/// Keeps the two listeners apart inside one routing table: admin endpoints match only on the admin
/// listener, proxy routes only on the proxy listeners, so a catch-all route can never expose /metrics
/// on :3000 and an app path such as /healthz on :3000 is still forwarded to the app.
/// </summary>
internal sealed class ListenerMatcherPolicy(ListenerRegistry listeners) : MatcherPolicy, IEndpointSelectorPolicy
{
    public override int Order => 0;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) => true;

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        var isAdmin = listeners.IsAdmin(httpContext);
        for (var i = 0; i < candidates.Count; i++)
        {
            var adminEndpoint = candidates[i].Endpoint.Metadata.GetMetadata<AdminEndpointMetadata>() is not null;
            if (adminEndpoint != isAdmin)
            {
                candidates.SetValidity(i, false);
            }
        }

        return Task.CompletedTask;
    }
}
