using System.Text.Json;
using System.Text.Json.Serialization;
using Ambassador.Configuration;
using Microsoft.Extensions.Options;

namespace Ambassador.Admin;

/// <summary>Defaults of <c>POST /admin/shutdown</c>.</summary>
public static class AdminShutdownConstants
{
    /// <summary>The configuration section of <see cref="AdminShutdownOptions"/>.</summary>
    public const string SectionName = "Ambassador:Admin";

    /// <summary>The endpoint's path on the admin listener.</summary>
    public const string Path = "/admin/shutdown";
}

/// <summary>Admin endpoints that change the process, section <c>Ambassador:Admin</c>.</summary>
public sealed class AdminShutdownOptions
{
    /// <summary>
    /// When true, <c>POST /admin/shutdown</c> on the admin listener starts the same graceful stop as SIGTERM (deregister,
    /// pre-stop delay, drain) and the process exits 0, for batch jobs whose sidecar must end with them. When false it
    /// answers 404. Default: false.
    /// </summary>
    public bool ShutdownEnabled { get; set; } = AdminShutdownOptionTable.ShutdownEnabled.Default;
}

/// <summary>The options of <c>Ambassador:Admin</c>, declared once.</summary>
internal static class AdminShutdownOptionTable
{
    // Off unless asked for: anything that can reach the admin listener could stop the sidecar.
    public static readonly BooleanOption ShutdownEnabled = OptionSpec.Bool(
        nameof(AdminShutdownOptions.ShutdownEnabled), false,
        "When true, POST /admin/shutdown starts the same graceful stop as SIGTERM and the process exits 0; when false it answers 404.");

    public static readonly OptionSection Section = new(
        AdminShutdownConstants.SectionName, "Admin endpoints that change the process.", ShutdownEnabled);
}

internal sealed record ShutdownResponse(string Status);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ShutdownResponse))]
internal sealed partial class ShutdownJsonContext : JsonSerializerContext;

/// <summary><c>POST /admin/shutdown</c>: Envoy's <c>/quitquitquit</c> for Ambassador.</summary>
internal static partial class ShutdownEndpoint
{
    public static async Task HandleAsync(HttpContext context)
    {
        var services = context.RequestServices;
        if (!services.GetRequiredService<IOptionsMonitor<AdminShutdownOptions>>().CurrentValue.ShutdownEnabled)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var lifetime = services.GetRequiredService<IHostApplicationLifetime>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ShutdownEndpoint).FullName!);
        LogShutdownRequested(logger, context.Connection.RemoteIpAddress);
        context.Response.StatusCode = StatusCodes.Status202Accepted;
        context.Response.ContentType = "application/json; charset=utf-8";
        // Stop once this answer is written: the stop drains in-flight requests, this one included.
        context.Response.OnCompleted(() =>
        {
            lifetime.StopApplication();
            return Task.CompletedTask;
        });
        await JsonSerializer.SerializeAsync(context.Response.Body, new ShutdownResponse("shutting down: draining in-flight requests"),
            ShutdownJsonContext.Default.ShutdownResponse, context.RequestAborted).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 701, EventName = "ShutdownRequested", Level = LogLevel.Information, Message = "Shutdown requested by POST /admin/shutdown from {Remote}; stopping as on SIGTERM")]
    private static partial void LogShutdownRequested(ILogger logger, System.Net.IPAddress? remote);
}
