using Ambassador.Policies;
using Ambassador.Policies.Limits;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>The limits step of the proxy pipeline.</summary>
public static class LimitsProxyPipelineExtensions
{
    /// <summary>
    /// Adds the limits step: requests over their cluster's concurrency limits are answered 503 <c>overloaded</c>. Put it
    /// right after error mapping and before the policy step, so a request keeps its place across its retries.
    /// </summary>
    public static IReverseProxyApplicationBuilder UseAmbassadorLimits(this IReverseProxyApplicationBuilder proxy)
    {
        ArgumentNullException.ThrowIfNull(proxy);
        var services = proxy.ApplicationServices;
        var policies = services.GetRequiredService<PolicyProvider>();
        var limiters = services.GetRequiredService<ClusterLimiterRegistry>();
        proxy.Use(next => new ConcurrencyLimitsMiddleware(next, policies, limiters).InvokeAsync);
        return proxy;
    }
}
