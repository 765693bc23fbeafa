using System.Diagnostics.CodeAnalysis;
using Ambassador.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registration helpers for configuration validation.</summary>
public static class AmbassadorConfigurationServiceCollectionExtensions
{
    /// <summary>Registers a validation contributor once.</summary>
    public static IServiceCollection AddAmbassadorConfigValidation<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TContributor>(this IServiceCollection services)
        where TContributor : class, IConfigValidationContributor
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigValidationContributor, TContributor>());
        return services;
    }
}
