using Ambassador.App;
using Ambassador.Hosting;
using Ambassador.Registration;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Consul registration of the app (<c>Ambassador:Registration:Consul</c>).</summary>
public static class ConsulRegistrationServiceCollectionExtensions
{
    /// <summary>
    /// Adds Consul registration with options from <c>Ambassador:Registration:Consul</c> of <paramref name="config"/>,
    /// using discovery's Consul address and token and the app's health (<see cref="AppServiceCollectionExtensions.AddAmbassadorApp"/>,
    /// added here when missing). Off while no <c>ServiceName</c> is set. Calling it twice is harmless.
    /// </summary>
    public static IServiceCollection AddAmbassadorConsulRegistration(this IServiceCollection services, IConfiguration config)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(config);
        if (services.Any(d => d.ServiceType == typeof(ConsulRegistrar)))
        {
            return services;
        }

        services.AddAmbassadorApp(config);
        services.Configure<ConsulRegistrationOptions>(config.GetSection(ConsulRegistrationConstants.SectionName));
        services.AddSingleton<ConsulRegistrar>();
        services.AddHostedService(sp => sp.GetRequiredService<ConsulRegistrar>());
        services.AddSingleton<IPreStopAction>(sp => sp.GetRequiredService<ConsulRegistrar>());
        services.AddSingleton<IAppRegistrationStatus>(sp => sp.GetRequiredService<ConsulRegistrar>());
        services.AddAmbassadorConfigValidation<ConsulRegistrationConfigValidationContributor>();
        services.AddAmbassadorOptions(ConsulRegistrationOptionTable.Section);
        return services;
    }
}
