namespace InventoryService.Consul;

/// <summary>
/// Self-registration in a Consul agent (section <c>Consul</c>). Registration is on exactly when
/// <see cref="Address"/> is set, e.g. env <c>Consul__Address=http://consul:8500</c>.
/// </summary>
public sealed class ConsulRegistrationOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Consul";

    /// <summary>Consul agent HTTP address, e.g. <c>http://127.0.0.1:8500</c>. Default: none (registration off).</summary>
    public Uri? Address { get; set; }

    /// <summary>ACL token sent as <c>X-Consul-Token</c>; never logged. Default: none.</summary>
    public string? Token { get; set; }

    /// <summary>Service name Ambassador discovers. Default: <c>inventory</c>.</summary>
    public string ServiceName { get; set; } = ConsulRegistrationConstants.DefaultServiceName;

    /// <summary>Unique instance id. Default: <c>&lt;ServiceName&gt;-&lt;address&gt;-&lt;port&gt;</c>.</summary>
    public string? ServiceId { get; set; }

    /// <summary>
    /// Address other hosts reach this instance on. Default: the listening host, or the machine's host
    /// name when listening on a wildcard (0.0.0.0, [::]). In compose, set it to the service name.
    /// </summary>
    public string? ServiceAddress { get; set; }

    /// <summary>Advertised port. Default: the listening port.</summary>
    public int? ServicePort { get; set; }

    /// <summary>Tags attached to the registration. Default: none.</summary>
    public IList<string> Tags { get; } = [];

    /// <summary>Interval of Consul's HTTP check of <c>/health</c>. Default: 5 s.</summary>
    public TimeSpan CheckInterval { get; set; } = ConsulRegistrationConstants.DefaultCheckInterval;

    /// <summary>Consul removes the instance after its check has been critical this long. Default: 1 minute.</summary>
    public TimeSpan DeregisterCriticalServiceAfter { get; set; } = ConsulRegistrationConstants.DefaultDeregisterCriticalServiceAfter;
}

/// <summary>Defaults of <see cref="ConsulRegistrationOptions"/>.</summary>
public static class ConsulRegistrationConstants
{
    /// <summary>Default service name.</summary>
    public const string DefaultServiceName = "inventory";

    /// <summary>Default HTTP check interval.</summary>
    public static readonly TimeSpan DefaultCheckInterval = TimeSpan.FromSeconds(5);

    /// <summary>Default time a critical instance stays registered.</summary>
    public static readonly TimeSpan DefaultDeregisterCriticalServiceAfter = TimeSpan.FromMinutes(1);

    /// <summary>Timeout of one call to the Consul agent.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    /// <summary>First delay between failed registration attempts (doubles up to <see cref="MaxRetryDelay"/>).</summary>
    public static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>Longest delay between failed registration attempts.</summary>
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(15);

    /// <summary>Name of the <see cref="IHttpClientFactory"/> client used for the agent API.</summary>
    public const string HttpClientName = "consul-registration";
}
