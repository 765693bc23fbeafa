using Ambassador.Configuration;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registration of declared configuration options.</summary>
internal static class AmbassadorOptionsServiceCollectionExtensions
{
    /// <summary>
    /// Declares the option tables a feature owns. Their keys are validated (type, range, unknown keys with a
    /// "did you mean"), documented and described in the JSON schema; keys under <c>Ambassador</c> that no table
    /// declares are reported. Registering the same section twice is harmless.
    /// </summary>
    public static IServiceCollection AddAmbassadorOptions(this IServiceCollection services, params OptionSection[] sections)
    {
        ArgumentNullException.ThrowIfNull(services);
        foreach (var section in sections)
        {
            if (!services.Any(d => d.ServiceType == typeof(OptionSection) && ReferenceEquals(d.ImplementationInstance, section)))
            {
                services.AddSingleton(section);
            }
        }

        return services;
    }
}
