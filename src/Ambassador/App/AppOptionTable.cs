using Ambassador.Configuration;

namespace Ambassador.App;

/// <summary>The options of <c>Ambassador:App</c>, declared once; <see cref="AppOptions"/> takes its defaults from here.</summary>
internal static class AppOptionTable
{
    /// <summary>What <see cref="Address"/> accepts, also used by the "required" cross-key check.</summary>
    public const string AddressAllowed = "use an absolute http or https URL without a path, e.g. http://127.0.0.1:8080";

    public static readonly StringOption Address = OptionSpec.String(
        nameof(AppOptions.Address), null,
        "The app's own address as the sidecar reaches it; unset, the feature is off. Required when any other Ambassador:App key is set.",
        allowed: AddressAllowed,
        check: raw => Uri.TryCreate(raw, UriKind.Absolute, out var uri)
            && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            && uri.AbsolutePath == "/" && string.IsNullOrEmpty(uri.Query)
                ? null
                : $"'{raw}' is not an absolute http(s) URL without a path");

    public static readonly StringOption HealthPath = OptionSpec.String(
        nameof(AppOptions.HealthPath), null,
        "The path probed with GET: 2xx passing, 429 warning, anything else or no answer failing; unset, the app is not probed and counts as healthy.",
        allowed: "use an absolute path, e.g. /health",
        emptyIsUnset: false,
        check: raw => !raw.StartsWith('/') || raw.StartsWith("//", StringComparison.Ordinal) || raw.Any(char.IsWhiteSpace)
            ? $"'{raw}' is not an absolute path"
            : null);

    public static readonly BooleanOption ReadinessGate = OptionSpec.Bool(
        nameof(AppOptions.ReadinessGate), false,
        "When true, /readyz answers 503 (naming the reason) while the app is not healthy.");

    // Probes as short as 10 ms are accepted because tests use them; production rarely goes below 1 s.
    public static readonly DurationOption Interval = OptionSpec.Duration(
        "Health:Interval", TimeSpan.FromSeconds(2), min: TimeSpan.FromMilliseconds(10), max: TimeSpan.FromHours(1),
        doc: "Time between the starts of two probes.");

    public static readonly DurationOption Timeout = OptionSpec.Duration(
        "Health:Timeout", TimeSpan.FromSeconds(1), min: TimeSpan.FromMilliseconds(10), max: TimeSpan.FromHours(1),
        doc: "How long one probe may take; at most Health:Interval.");

    public static readonly IntegerOption<int> UnhealthyThreshold = OptionSpec.Int(
        "Health:UnhealthyThreshold", 2, min: 1, max: 100,
        doc: "Consecutive failed probes before a healthy app counts as unhealthy.");

    public static readonly IntegerOption<int> HealthyThreshold = OptionSpec.Int(
        "Health:HealthyThreshold", 1, min: 1, max: 100,
        doc: "Consecutive passing probes before an unhealthy app counts as healthy again.");

    public static readonly OptionSection Section = new(
        AppConstants.SectionName, "The app beside the sidecar: its health probe and the readiness gate.",
        Address, HealthPath, ReadinessGate, Interval, Timeout, UnhealthyThreshold, HealthyThreshold);
}
