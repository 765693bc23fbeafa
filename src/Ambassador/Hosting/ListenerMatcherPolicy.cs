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
/// <remarks>
/// A node of the routing DFA (as ASP.NET Core's host and method policies are), not an endpoint selector: the split is
/// made once, when the DFA is built, and a request only takes one branch of a two-way jump. An endpoint selector would
/// make the matcher build a candidate set (and route values per candidate) for every request.
/// </remarks>
internal sealed class ListenerMatcherPolicy(ListenerRegistry listeners) : MatcherPolicy, INodeBuilderPolicy
{
    public override int Order => 0;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) => endpoints.Count > 0;

    public IReadOnlyList<PolicyNodeEdge> GetEdges(IReadOnlyList<Endpoint> endpoints)
    {
        List<Endpoint>? admin = null;
        List<Endpoint>? proxy = null;
        foreach (var endpoint in endpoints)
        {
            if (IsAdminEndpoint(endpoint))
            {
                (admin ??= []).Add(endpoint);
            }
            else
            {
                (proxy ??= []).Add(endpoint);
            }
        }

        var edges = new List<PolicyNodeEdge>(2);
        if (admin is not null)
        {
            edges.Add(new PolicyNodeEdge(true, admin));
        }

        if (proxy is not null)
        {
            edges.Add(new PolicyNodeEdge(false, proxy));
        }

        return edges;
    }

    public PolicyJumpTable BuildJumpTable(int exitDestination, IReadOnlyList<PolicyJumpTableEdge> edges)
    {
        var admin = exitDestination;
        var proxy = exitDestination;
        foreach (var edge in edges)
        {
            if ((bool)edge.State)
            {
                admin = edge.Destination;
            }
            else
            {
                proxy = edge.Destination;
            }
        }

        return new ListenerJumpTable(listeners, admin, proxy);
    }

    private static bool IsAdminEndpoint(Endpoint endpoint) => endpoint.Metadata.GetMetadata<AdminEndpointMetadata>() is not null;

    private sealed class ListenerJumpTable(ListenerRegistry listeners, int admin, int proxy) : PolicyJumpTable
    {
        public override int GetDestination(HttpContext httpContext) => listeners.IsAdmin(httpContext) ? admin : proxy;
    }
}
