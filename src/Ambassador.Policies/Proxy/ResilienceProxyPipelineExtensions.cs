using Ambassador.Policies.Proxy;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>The policy step of the proxy pipeline.</summary>
public static class ResilienceProxyPipelineExtensions
{
    /// <summary>
    /// Adds the step that retries, breaks circuits and enforces timeouts (the cluster's policy). Place it after the error
    /// mapping step and before session affinity and load balancing: it hands them one destination per attempt.
    /// </summary>
    public static IReverseProxyApplicationBuilder UseAmbassadorResilience(this IReverseProxyApplicationBuilder proxy)
    {
        ArgumentNullException.ThrowIfNull(proxy);
        var services = proxy.ApplicationServices;
        proxy.Use(next => new ResilienceMiddleware(
            next,
            services.GetRequiredService<Ambassador.Policies.PolicyProvider>(),
            services.GetRequiredService<Ambassador.Policies.Budget.RetryBudgetRegistry>(),
            services.GetRequiredService<RequestStatePoolPolicy>(),
            services.GetRequiredService<TimeProvider>()).InvokeAsync);
        return proxy;
    }
}
