using System.Diagnostics.CodeAnalysis;
using Ambassador.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registration helpers for configuration validation.</summary>
public static class AmbassadorConfigurationServiceCollectionExtensions
{
    /// <summary>
    /// Declares the keys a feature owns under <c>Ambassador:</c> (<c>*</c> matches one segment, a trailing
    /// <c>**</c> everything below). Keys nobody declares are reported as likely typos.
    /// </summary>
    public static IServiceCollection AddAmbassadorConfigKeys(this IServiceCollection services, params string[] patterns)
    {
        services.AddSingleton(new KnownConfigKeys(patterns));
        return services;
    }

    /// <summary>Registers a validation contributor once.</summary>
    public static IServiceCollection AddAmbassadorConfigValidation<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TContributor>(this IServiceCollection services)
        where TContributor : class, IConfigValidationContributor
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigValidationContributor, TContributor>());
        return services;
    }
}
