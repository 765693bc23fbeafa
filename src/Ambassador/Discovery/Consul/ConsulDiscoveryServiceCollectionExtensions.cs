using Ambassador.Admin;
using Ambassador.Discovery.Consul;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Yarp.ReverseProxy.ServiceDiscovery;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Consul discovery.</summary>
public static class ConsulDiscoveryServiceCollectionExtensions
{
    /// <summary>
    /// Adds Consul discovery: options from <c>Ambassador:Discovery:Consul</c> of <paramref name="config"/>, the Consul
    /// client and watchers, and YARP's destination resolver. With no <c>Address</c> configured every destination is
    /// used as written. Calling it twice is harmless.
    /// </summary>
    public static IServiceCollection AddAmbassadorConsulDiscovery(this IServiceCollection services, IConfiguration config)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(config);

        services.Configure<ConsulOptions>(config.GetSection(ConsulConstants.SectionName));
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IConsulHealthClient>(sp => new ConsulClient(sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<ClusterServiceMap>();
        services.TryAddSingleton<ConsulDiscovery>();
        services.TryAddSingleton<IClusterDiscoveryStatus, ConsulClusterDiscoveryStatus>();
        services.AddAmbassadorOptions(ConsulOptionTable.Section);

        // YARP registers a no-op resolver with TryAdd; ours must win whichever of the two runs first.
        services.Replace(ServiceDescriptor.Singleton<IDestinationResolver, ConsulDestinationResolver>());
        return services;
    }
}
