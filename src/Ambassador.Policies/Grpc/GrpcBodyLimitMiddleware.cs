using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy;

namespace Ambassador.Policies.Grpc;

/// <summary>
/// Keeps a route's <c>MaxRequestBodySize</c> in force for gRPC calls. YARP lifts the server's request body limit for
/// every request that looks like gRPC over HTTP/2, because a long-lived stream would otherwise be cut at Kestrel's
/// server-wide default (30 MB); it lifts a route's own limit with it, so a route limit never stopped a gRPC body.
/// A limit set on the route is the operator's statement about that route: for its gRPC calls this step lets Kestrel
/// keep it (the body is stopped when it outgrows it, and the error-mapping step answers RESOURCE_EXHAUSTED). Requests on
/// routes without a limit, and other requests, are untouched.
/// </summary>
internal sealed class GrpcBodyLimitMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (context.GetRouteModel().Config.MaxRequestBodySize is >= 0
            && GrpcProtocol.IsGrpcRequest(context.Request)
            && context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { } limit)
        {
            context.Features.Set<IHttpMaxRequestBodySizeFeature>(new RouteLimit(limit));
        }

        return next(context);
    }

    /// <summary>The server's limit feature, refusing only to be lifted (set to no limit).</summary>
    private sealed class RouteLimit(IHttpMaxRequestBodySizeFeature inner) : IHttpMaxRequestBodySizeFeature
    {
        public bool IsReadOnly => inner.IsReadOnly;

        public long? MaxRequestBodySize
        {
            get => inner.MaxRequestBodySize;
            set
            {
                if (value is not null)
                {
                    inner.MaxRequestBodySize = value;
                }
            }
        }
    }
}
