using Ambassador.Configuration;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Wires Ambassador.Policies into the host: services, config validation and config keys.</summary>
public static class ResilienceExtensions
{
    /// <summary>
    /// Adds resilience policies bound from <paramref name="config"/> (the validated configuration), their validation
    /// and their configuration keys. Calling it twice is harmless.
    /// </summary>
    public static IServiceCollection AddAmbassadorResilience(this IServiceCollection services, IConfiguration config)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddAmbassadorPolicies(config);
        services.AddAmbassadorConfigValidation<PolicyConfigValidationContributor>();
        return services;
    }
}
