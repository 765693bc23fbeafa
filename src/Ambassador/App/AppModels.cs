using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ambassador.App;

/// <summary>What a feature that announces the app (Consul registration) shows in <c>/admin/app</c>.</summary>
internal interface IAppRegistrationStatus
{
    /// <summary>The registration's current state, or null when it is off.</summary>
    AppRegistrationView? GetView();
}

internal sealed record AppView(
    string Address,
    string? HealthPath,
    string Health,
    bool ReadinessGate,
    DateTimeOffset Since,
    int ConsecutiveSuccesses,
    int ConsecutiveFailures,
    AppProbeView? LastProbe,
    IReadOnlyList<AppRegistrationView> Registrations);

internal sealed record AppProbeView(DateTimeOffset At, string Outcome, int? Status, double DurationMs, string Detail);

/// <summary>One registration of the app (e.g. in Consul).</summary>
/// <param name="Registry">e.g. <c>consul</c>.</param>
/// <param name="ServiceId">The id registered (or to be registered).</param>
/// <param name="State"><c>waiting-for-app</c>, <c>registered</c>, <c>registry-unavailable</c>, <c>deregistered</c>.</param>
/// <param name="Check">The check's last reported status (<c>passing</c>, <c>warning</c>, <c>critical</c>), or null.</param>
/// <param name="LastError">The last error talking to the registry, or null.</param>
internal sealed record AppRegistrationView(string Registry, string? ServiceId, string State, string? Check, string? LastError);

internal sealed record AppNotConfigured(string Error);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(AppView))]
[JsonSerializable(typeof(AppNotConfigured))]
internal sealed partial class AppJsonContext : JsonSerializerContext;
