using Ambassador.Limits;
using Ambassador.Policies;
using Ambassador.Policies.Limits;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the concurrency-limits step to the proxy pipeline.</summary>
public static class LimitsApplicationBuilderExtensions
{
    /// <summary>
    /// Holds requests to their cluster's concurrency limits (503 <c>overloaded</c> over them). Place it after error
    /// mapping and before the policy step, so a request keeps its place across its retries.
    /// </summary>
    public static IReverseProxyApplicationBuilder UseAmbassadorLimits(this IReverseProxyApplicationBuilder proxy)
    {
        ArgumentNullException.ThrowIfNull(proxy);
        var services = proxy.ApplicationServices;
        var step = new ConcurrencyLimitsStep(services.GetRequiredService<PolicyProvider>(), services.GetRequiredService<ClusterLimiterRegistry>());
        proxy.Use(step.InvokeAsync);
        return proxy;
    }
}
