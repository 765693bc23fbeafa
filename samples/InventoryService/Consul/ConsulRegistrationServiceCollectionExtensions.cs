using InventoryService.Consul;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the inventory sample's Consul self-registration.</summary>
public static class ConsulRegistrationServiceCollectionExtensions
{
    /// <summary>
    /// Adds self-registration in Consul when <c>Consul:Address</c> is configured; does nothing otherwise.
    /// </summary>
    public static IServiceCollection AddInventoryConsulRegistration(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(ConsulRegistrationOptions.SectionName);
        services.Configure<ConsulRegistrationOptions>(section);
        if (string.IsNullOrEmpty(section["Address"]))
        {
            return services;
        }

        services.AddHttpClient(ConsulRegistrationConstants.HttpClientName);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ConsulRegistrationService>());
        return services;
    }
}
