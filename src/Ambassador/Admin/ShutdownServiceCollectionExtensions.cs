using Ambassador.Admin;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <c>POST /admin/shutdown</c> (<c>Ambassador:Admin:ShutdownEnabled</c>).</summary>
public static class ShutdownServiceCollectionExtensions
{
    /// <summary>Adds the options of <c>POST /admin/shutdown</c> from <c>Ambassador:Admin</c> of <paramref name="config"/>. Calling it twice is harmless.</summary>
    public static IServiceCollection AddAmbassadorShutdown(this IServiceCollection services, IConfiguration config)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(config);
        if (services.Any(d => ReferenceEquals(d.ImplementationInstance, AdminShutdownOptionTable.Section)))
        {
            return services;
        }

        services.Configure<AdminShutdownOptions>(config.GetSection(AdminShutdownConstants.SectionName));
        services.AddAmbassadorOptions(AdminShutdownOptionTable.Section);
        return services;
    }

    /// <summary>Maps <c>POST /admin/shutdown</c> on <paramref name="admin"/>, the admin group (404 while disabled).</summary>
    public static RouteGroupBuilder MapAmbassadorShutdown(this RouteGroupBuilder admin)
    {
        ArgumentNullException.ThrowIfNull(admin);
        admin.MapPost(AdminShutdownConstants.Path, (RequestDelegate)ShutdownEndpoint.HandleAsync);
        return admin;
    }
}
