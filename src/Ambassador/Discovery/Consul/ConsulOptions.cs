namespace Ambassador.Discovery.Consul;

/// <summary>
/// Options of the Consul discovery client, bound from <c>Ambassador:Discovery:Consul</c>.
/// Consul discovery is on exactly when <see cref="Address"/> is set.
/// </summary>
public sealed class ConsulOptions
{
    /// <summary>
    /// The Consul HTTP API address, an absolute http(s) URL such as <c>http://127.0.0.1:8500</c>.
    /// Default: none (Consul discovery off; every destination address is used as written).
    /// </summary>
    public string? Address { get; set; }

    /// <summary>
    /// ACL token sent as the <c>X-Consul-Token</c> header. Never logged or shown. Default: none.
    /// </summary>
    public string? Token { get; set; }

    /// <summary>The Consul datacenter to query (<c>dc</c>). Default: the agent's own datacenter.</summary>
    public string? Datacenter { get; set; }

    /// <summary>
    /// A Consul filter expression (<c>filter</c>), e.g. <c>Service.Tags contains "primary"</c>. Default: none.
    /// </summary>
    public string? Filter { get; set; }

    /// <summary>
    /// The blocking-query wait (<c>wait</c>); Consul answers at the latest after this plus up to wait/16 of jitter.
    /// Default: 00:05:00 (Consul's default). At most 00:10:00 (Consul's cap).
    /// </summary>
    public TimeSpan WaitTime { get; set; } = ConsulConstants.DefaultWaitTime;

    /// <summary>
    /// Ask Consul only for instances whose checks all pass (<c>passing</c>). When false, instances with a
    /// <c>warning</c> check are kept and instances with a <c>critical</c> check are still dropped. Default: true.
    /// </summary>
    public bool OnlyPassing { get; set; } = true;

    /// <summary>
    /// The largest Consul answer accepted, in bytes; a larger answer is an error and the last known good set is kept.
    /// Default: 4 MiB.
    /// </summary>
    public long MaxResponseBytes { get; set; } = ConsulConstants.DefaultMaxResponseBytes;

    /// <summary>
    /// True when <see cref="Address"/> is an absolute http(s) URL. Validation rejects anything else before it is
    /// applied; this guard only matters while a configuration that will be rejected is being checked.
    /// </summary>
    internal bool IsEnabled() =>
        Uri.TryCreate(Address, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}
