using Ambassador.Policies;
using Ambassador.Policies.Budget;
using Ambassador.Policies.CircuitBreaker;
using Ambassador.Policies.Limits;
using Ambassador.Policies.LoadBalancing;
using Ambassador.Policies.Proxy;
using Ambassador.Policies.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Ambassador's resilience policies.</summary>
public static class PoliciesServiceCollectionExtensions
{
    /// <summary>
    /// Adds the policies of <c>Ambassador:Policies</c> (bound from <paramref name="configuration"/>, reloaded with it),
    /// retry budgets, per-destination circuit breakers, per-cluster concurrency limits, the <c>PeakEwma</c> load balancer, the response hold-back transform and their telemetry.
    /// Calling it twice is harmless.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The validated configuration root.</param>
    public static IServiceCollection AddAmbassadorPolicies(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        if (services.Any(d => d.ServiceType == typeof(PolicyProvider)))
        {
            return services;
        }

        // Binds only the Policies child of the Ambassador section (source-generated binder: AOT safe).
        services.Configure<PolicyCatalogOptions>(configuration.GetSection("Ambassador"));
        services.AddAmbassadorOptions(PolicyOptionTable.Section);
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<PolicyProvider>();
        services.TryAddSingleton<RetryBudgetRegistry>();
        services.TryAddSingleton<DestinationBreakerRegistry>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Yarp.ReverseProxy.Model.IClusterChangeListener, BreakerPruningListener>());
        services.TryAddSingleton<IBreakerStateSource>(sp => sp.GetRequiredService<DestinationBreakerRegistry>());
        services.TryAddSingleton<LimitsTelemetry>();
        services.TryAddSingleton<ClusterLimiterRegistry>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Yarp.ReverseProxy.Model.IClusterChangeListener, ClusterLimiterRegistry>(sp => sp.GetRequiredService<ClusterLimiterRegistry>()));
        services.TryAddSingleton<PeakEwmaRegistry>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Yarp.ReverseProxy.Model.IClusterChangeListener, PeakEwmaRegistry>(sp => sp.GetRequiredService<PeakEwmaRegistry>()));
        services.TryAddSingleton<AttemptLatencyRecorder>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Yarp.ReverseProxy.LoadBalancing.ILoadBalancingPolicy, PeakEwmaLoadBalancingPolicy>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITransformProvider, PeakEwmaTimingTransformProvider>());
        services.TryAddSingleton<ResilienceTelemetry>();
        services.TryAddSingleton<DestinationPicker>();
        services.TryAddSingleton<RequestStatePoolPolicy>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITransformProvider, HoldBackRetriedResponsesTransformProvider>());
        return services;
    }
}
