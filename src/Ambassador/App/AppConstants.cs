namespace Ambassador.App;

/// <summary>Defaults and limits of the app-health feature (<c>Ambassador:App</c>).</summary>
public static class AppConstants
{
    /// <summary>The configuration section of <see cref="AppOptions"/>.</summary>
    public const string SectionName = "Ambassador:App";

    /// <summary>Default probe interval: 2 s.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(2);

    /// <summary>Default probe timeout: 1 s.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Shortest probe interval or timeout accepted: 10 ms (tests use short ones; production rarely goes below 1 s).</summary>
    public static readonly TimeSpan MinDuration = TimeSpan.FromMilliseconds(10);

    /// <summary>Longest probe interval or timeout accepted: 1 h.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromHours(1);

    /// <summary>Default number of consecutive failed probes before the app counts as unhealthy.</summary>
    public const int DefaultUnhealthyThreshold = 2;

    /// <summary>Default number of consecutive passing probes before the app counts as healthy.</summary>
    public const int DefaultHealthyThreshold = 1;

    /// <summary>Largest threshold accepted.</summary>
    public const int MaxThreshold = 100;

    /// <summary>Instrument name of the health gauge: 1 healthy, 0 unhealthy or not yet known.</summary>
    public const string HealthyGaugeName = "ambassador.app.healthy";

    /// <summary>Instrument name of the probe counter (label <c>result</c>: passing, warning, failing).</summary>
    public const string ProbesCounterName = "ambassador.app.probes";

    /// <summary>The admin path that shows the app's health.</summary>
    public const string AdminPath = "/admin/app";
}
