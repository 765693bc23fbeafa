namespace Ambassador.Registration;

/// <summary>
/// Registers the app beside the sidecar in the local Consul agent, section <c>Ambassador:Registration:Consul</c>. On when
/// <see cref="ServiceName"/> is set; uses <c>Ambassador:Discovery:Consul:Address</c> and <c>Token</c>.
/// </summary>
public sealed class ConsulRegistrationOptions
{
    /// <summary>The service name callers discover (Consul <c>Name</c>), e.g. <c>inventory</c>. Required.</summary>
    public string? ServiceName { get; set; }

    /// <summary>
    /// The instance id (Consul <c>ID</c>). Default: <c>&lt;ServiceName&gt;-&lt;host&gt;-&lt;port&gt;</c> of the advertised
    /// address (the machine name when the address is left to Consul), stable across restarts.
    /// </summary>
    public string? ServiceId { get; set; }

    /// <summary>
    /// The address callers use (Consul <c>Address</c>), a host name or IP. Default: the inbound TLS listener's host when
    /// it is on, else the host of <c>Ambassador:App:Address</c>; a wildcard listener (0.0.0.0) leaves it empty, so Consul
    /// uses its node address.
    /// </summary>
    public string? Address { get; set; }

    /// <summary>The port callers use (Consul <c>Port</c>). Default: the inbound TLS listener's port when it is on, else the app's.</summary>
    public int? Port { get; set; }

    /// <summary>Tags (Consul <c>Tags</c>), e.g. <c>["primary"]</c>. Default: none.</summary>
    public List<string> Tags { get; set; } = [];

    /// <summary>Metadata (Consul <c>Meta</c>): keys of letters, digits, <c>-</c> and <c>_</c>. Default: none.</summary>
    public Dictionary<string, string> Meta { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The health check registered with the service.</summary>
    public ConsulCheckOptions Check { get; set; } = new();

    /// <summary>True when a service name is configured.</summary>
    internal bool IsEnabled => !string.IsNullOrWhiteSpace(ServiceName);
}

/// <summary>The check registered with the service, section <c>Ambassador:Registration:Consul:Check</c>.</summary>
public sealed class ConsulCheckOptions
{
    /// <summary>
    /// <c>ttl</c> (default): Ambassador reports the app probe's result to Consul after every probe, which works when
    /// Consul cannot reach the pod; the TTL is 3 × <c>Ambassador:App:Health:Interval</c>. <c>http</c>: the agent itself
    /// probes <c>&lt;scheme&gt;://&lt;Address&gt;:&lt;Port&gt;&lt;Ambassador:App:HealthPath&gt;</c>.
    /// </summary>
    public string Type { get; set; } = ConsulRegistrationConstants.TtlCheck;

    /// <summary>How often the agent runs an <c>http</c> check. Default: 00:00:10. Not allowed with <c>ttl</c>.</summary>
    public TimeSpan Interval { get; set; } = ConsulRegistrationOptionTable.CheckInterval.Default;

    /// <summary>Timeout of one <c>http</c> check. Default: 00:00:05. Not allowed with <c>ttl</c>.</summary>
    public TimeSpan Timeout { get; set; } = ConsulRegistrationOptionTable.CheckTimeout.Default;

    /// <summary>How long the check may stay critical before Consul removes the service. Default: 00:01:00 (Consul's minimum).</summary>
    public TimeSpan DeregisterCriticalServiceAfter { get; set; } = ConsulRegistrationOptionTable.DeregisterCriticalServiceAfter.Default;
}
