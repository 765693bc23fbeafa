using Ambassador.Hosting;

namespace Microsoft.AspNetCore.Builder;

/// <summary>The error-mapping step of the proxy pipeline.</summary>
public static class ProxyErrorsProxyPipelineExtensions
{
    /// <summary>
    /// Adds the error-mapping step: every problem answer for a request that matched a route is written here. Put it
    /// first in the proxy pipeline, so every later step only names what went wrong.
    /// </summary>
    public static IReverseProxyApplicationBuilder UseAmbassadorErrors(this IReverseProxyApplicationBuilder proxy)
    {
        ArgumentNullException.ThrowIfNull(proxy);
        proxy.Use(next => new ProxyErrorsMiddleware(next).InvokeAsync);
        return proxy;
    }
}
