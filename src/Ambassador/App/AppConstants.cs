namespace Ambassador.App;

/// <summary>Defaults and limits of the app-health feature (<c>Ambassador:App</c>).</summary>
public static class AppConstants
{
    /// <summary>The configuration section of <see cref="AppOptions"/>.</summary>
    public const string SectionName = "Ambassador:App";

    /// <summary>Instrument name of the health gauge: 1 healthy, 0 unhealthy or not yet known.</summary>
    public const string HealthyGaugeName = "ambassador.app.healthy";

    /// <summary>Instrument name of the probe counter (label <c>result</c>: passing, warning, failing).</summary>
    public const string ProbesCounterName = "ambassador.app.probes";

    /// <summary>The admin path that shows the app's health.</summary>
    public const string AdminPath = "/admin/app";
}
