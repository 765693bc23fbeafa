namespace OrderService;

/// <summary>
/// How the app reaches its Ambassador sidecar (section <c>Ambassador</c>; env <c>Ambassador__BaseAddress</c>, …).
/// The app knows nothing about inventory instances, Consul, TLS or retries: it only calls the sidecar.
/// </summary>
public sealed class AmbassadorClientOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Ambassador";

    /// <summary>The sidecar's proxy listener. Default: <c>http://localhost:3000</c>.</summary>
    public Uri BaseAddress { get; set; } = AmbassadorClientConstants.DefaultBaseAddress;

    /// <summary>The sidecar's admin listener, asked for <c>/readyz</c> by this app's <c>/health</c>.
    /// Default: <c>http://localhost:9901</c>.</summary>
    public Uri AdminAddress { get; set; } = AmbassadorClientConstants.DefaultAdminAddress;

    /// <summary>Upper bound for one call through the sidecar, retries included. Default: 2 s.</summary>
    public TimeSpan Timeout { get; set; } = AmbassadorClientConstants.DefaultTimeout;
}

/// <summary>Defaults of <see cref="AmbassadorClientOptions"/>.</summary>
public static class AmbassadorClientConstants
{
    /// <summary>Default proxy address of the sidecar.</summary>
    public static readonly Uri DefaultBaseAddress = new("http://localhost:3000");

    /// <summary>Default admin address of the sidecar.</summary>
    public static readonly Uri DefaultAdminAddress = new("http://localhost:9901");

    /// <summary>Default timeout of a call through the sidecar.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Connecting to a sidecar on loopback either works at once or not at all.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Timeout of the sidecar readiness probe made by <c>/health</c>.</summary>
    public static readonly TimeSpan HealthProbeTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Header Ambassador puts on errors it made itself (docs/client.md, "Errors Ambassador makes itself").</summary>
    public const string AmbassadorErrorHeader = "x-ambassador-error";

    /// <summary>Name of the HttpClient used for the sidecar's admin listener.</summary>
    public const string AdminClientName = "ambassador-admin";
}
