using Ambassador.Configuration;
using Ambassador.Hosting;
using Ambassador.Policies.Proxy;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Wires Ambassador.Policies into the host: services, config validation, config keys and the proxy step.</summary>
public static class ResilienceExtensions
{
    /// <summary>
    /// Adds resilience policies bound from <paramref name="config"/> (the validated configuration) and their
    /// validation. Calling it twice is harmless.
    /// </summary>
    public static IServiceCollection AddAmbassadorResilience(this IServiceCollection services, IConfiguration config)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddAmbassadorPolicies(config);
        services.AddAmbassadorConfigValidation<PolicyConfigValidationContributor>();
        return services;
    }

    /// <summary>
    /// The proxy-pipeline step that retries, breaks circuits and enforces timeouts. Place it right after the error
    /// step and before session affinity and load balancing: it hands them one destination per attempt.
    /// </summary>
    public static IReverseProxyApplicationBuilder UseAmbassadorResilience(this IReverseProxyApplicationBuilder proxy)
    {
        ArgumentNullException.ThrowIfNull(proxy);
        var handler = proxy.ApplicationServices.GetRequiredService<ResilienceHandler>();
        proxy.Use(async (context, next) =>
        {
            var verdict = await handler.InvokeAsync(context, next).ConfigureAwait(false);
            if (verdict == ResilienceVerdict.Forwarded)
            {
                return;
            }

            // Whatever the last attempt left behind (a cancelled forward, a held-back response) is replaced.
            context.Features.Set<IForwarderErrorFeature>(null);
            var feature = context.GetReverseProxyFeature();
            var route = feature.Route.Config.RouteId;
            var cluster = feature.Cluster.Config.ClusterId;
            if (verdict == ResilienceVerdict.CircuitOpen)
            {
                await ProxyProblem.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, ProxyProblem.CircuitOpen,
                    $"Cluster '{cluster}' (route '{route}'): every destination's circuit breaker is open.").ConfigureAwait(false);
            }
            else
            {
                await ProxyProblem.WriteAsync(context, StatusCodes.Status504GatewayTimeout, ProxyProblem.UpstreamTimeout,
                    $"Cluster '{cluster}' (route '{route}') did not answer within the policy's timeout.").ConfigureAwait(false);
            }
        });
        return proxy;
    }
}
