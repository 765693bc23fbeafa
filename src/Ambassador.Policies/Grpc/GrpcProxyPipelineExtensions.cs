using Ambassador.Policies.Grpc;

namespace Microsoft.AspNetCore.Builder;

/// <summary>The gRPC steps of the proxy pipeline.</summary>
public static class GrpcProxyPipelineExtensions
{
    /// <summary>
    /// Adds the step that keeps a route's <c>MaxRequestBodySize</c> in force for gRPC calls (YARP lifts it for them).
    /// Place it inside the error-mapping step, which answers a body that outgrows the limit.
    /// </summary>
    public static IReverseProxyApplicationBuilder UseGrpcBodyLimit(this IReverseProxyApplicationBuilder proxy)
    {
        ArgumentNullException.ThrowIfNull(proxy);
        proxy.Use(next => new GrpcBodyLimitMiddleware(next).InvokeAsync);
        return proxy;
    }
}
