using System.Text.Json;
using Ambassador.Admin;
using Ambassador.App;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the app-health feature (<c>Ambassador:App</c>).</summary>
public static class AppServiceCollectionExtensions
{
    /// <summary>
    /// Adds the app prober, its gauge and the readiness gate, with options from <c>Ambassador:App</c> of
    /// <paramref name="config"/>. With no <c>Ambassador:App:Address</c> nothing is probed and nothing changes.
    /// Calling it twice is harmless.
    /// </summary>
    public static IServiceCollection AddAmbassadorApp(this IServiceCollection services, IConfiguration config)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(config);
        if (services.Any(d => d.ServiceType == typeof(AppHealthMonitor)))
        {
            return services;
        }

        services.Configure<AppOptions>(config.GetSection(AppConstants.SectionName));
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<AppHealthMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<AppHealthMonitor>());
        services.AddSingleton<IReadinessContributor, AppReadiness>();
        services.AddAmbassadorConfigValidation<AppConfigValidationContributor>();
        services.AddAmbassadorOptions(AppOptionTable.Section);
        return services;
    }

    /// <summary>Maps <c>GET /admin/app</c> on <paramref name="admin"/>, the admin group returned by <c>MapAmbassadorAdmin</c>.</summary>
    public static RouteGroupBuilder MapAmbassadorApp(this RouteGroupBuilder admin)
    {
        ArgumentNullException.ThrowIfNull(admin);
        admin.MapGet(AppConstants.AdminPath, (RequestDelegate)WriteAppAsync);
        return admin;
    }

    private static async Task WriteAppAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var status = services.GetService<AppHealthMonitor>()?.Current;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        if (status is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            await JsonSerializer.SerializeAsync(context.Response.Body, new AppNotConfigured("no app configured; set Ambassador:App:Address"),
                AppJsonContext.Default.AppNotConfigured, context.RequestAborted).ConfigureAwait(false);
            return;
        }

        var options = services.GetRequiredService<IOptionsMonitor<AppOptions>>().CurrentValue;
        var probe = status.LastProbe;
        var view = new AppView(
            status.Address.ToString(),
            status.ProbeUri?.PathAndQuery,
            status.Health.ToString().ToLowerInvariant(),
            options.ReadinessGate,
            status.Since,
            status.ConsecutiveSuccesses,
            status.ConsecutiveFailures,
            probe is null ? null : new AppProbeView(probe.At, probe.Outcome.ToString().ToLowerInvariant(), probe.StatusCode, Math.Round(probe.Duration.TotalMilliseconds, 3), probe.Detail),
            services.GetServices<IAppRegistrationStatus>().Select(r => r.GetView()).OfType<AppRegistrationView>().ToList());
        await JsonSerializer.SerializeAsync(context.Response.Body, view, AppJsonContext.Default.AppView, context.RequestAborted).ConfigureAwait(false);
    }
}
