namespace Ambassador.App;

/// <summary>
/// The app beside the sidecar, section <c>Ambassador:App</c>. With no <see cref="Address"/> the feature is off and
/// nothing changes.
/// </summary>
public sealed class AppOptions
{
    /// <summary>
    /// The app's own address as the sidecar reaches it, an absolute http(s) URL such as <c>http://127.0.0.1:8080</c>.
    /// Default: none (feature off). Required when any other <c>Ambassador:App</c> key is set.
    /// </summary>
    public string? Address { get; set; }

    /// <summary>
    /// The path probed with <c>GET</c>, e.g. <c>/health</c>: 2xx is passing, 429 warning (alive but busy, as in Consul's
    /// HTTP checks), anything else or no answer within the timeout failing. Default: none (the app is not probed and
    /// counts as healthy).
    /// </summary>
    public string? HealthPath { get; set; }

    /// <summary>How the app is probed (<c>Ambassador:App:Health</c>).</summary>
    public AppHealthOptions Health { get; set; } = new();

    /// <summary>
    /// When true, <c>/readyz</c> answers 503 (naming the reason) while the app is not healthy, so the pod stops getting
    /// traffic with its app. Default: false.
    /// </summary>
    public bool ReadinessGate { get; set; }

    /// <summary>True when <see cref="Address"/> is an absolute http(s) URL (validation rejects anything else first).</summary>
    internal bool IsConfigured(out Uri address)
    {
        address = null!;
        return Uri.TryCreate(Address, UriKind.Absolute, out address!) && (address.Scheme == Uri.UriSchemeHttp || address.Scheme == Uri.UriSchemeHttps);
    }

    /// <summary>The URL probed, or null when no <see cref="HealthPath"/> is set.</summary>
    internal Uri? ProbeUri(Uri address) =>
        string.IsNullOrEmpty(HealthPath) ? null : new Uri(address, HealthPath);
}

/// <summary>App probing, section <c>Ambassador:App:Health</c>.</summary>
public sealed class AppHealthOptions
{
    /// <summary>Time between the starts of two probes. Default: 00:00:02.</summary>
    public TimeSpan Interval { get; set; } = AppOptionTable.Interval.Default;

    /// <summary>How long one probe may take; at most <see cref="Interval"/>. Default: 00:00:01.</summary>
    public TimeSpan Timeout { get; set; } = AppOptionTable.Timeout.Default;

    /// <summary>Consecutive failed probes before a healthy app counts as unhealthy. Default: 2.</summary>
    public int UnhealthyThreshold { get; set; } = AppOptionTable.UnhealthyThreshold.Default;

    /// <summary>Consecutive passing probes before an unhealthy app counts as healthy again. Default: 1.</summary>
    public int HealthyThreshold { get; set; } = AppOptionTable.HealthyThreshold.Default;
}
