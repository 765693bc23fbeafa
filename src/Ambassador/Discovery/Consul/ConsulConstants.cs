namespace Ambassador.Discovery.Consul;

/// <summary>Fixed limits and names of Consul discovery (its options are declared in <see cref="ConsulOptionTable"/>).</summary>
internal static class ConsulConstants
{
    /// <summary>The configuration section of <see cref="ConsulOptions"/>.</summary>
    public const string SectionName = "Ambassador:Discovery:Consul";

    /// <summary>The header that carries the ACL token.</summary>
    public const string TokenHeader = "X-Consul-Token";

    /// <summary>The header that carries the blocking-query index.</summary>
    public const string IndexHeader = "X-Consul-Index";

    /// <summary>Cluster metadata key that turns discovery off for a cluster (<c>"Discovery": "static"</c>).</summary>
    public const string DiscoveryMetadataKey = "Discovery";

    /// <summary>Value of <see cref="DiscoveryMetadataKey"/> that keeps a cluster's addresses as written.</summary>
    public const string StaticDiscovery = "static";

    /// <summary>
    /// Slack added to wait + wait/16 for the HTTP timeout, so a held request that Consul answers on time is never
    /// cut short by our own timeout.
    /// </summary>
    public static readonly TimeSpan TimeoutSlack = TimeSpan.FromSeconds(1);

    /// <summary>Connect timeout to the Consul agent (it is normally local).</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Minimum spacing between the starts of two queries when the previous answer did not advance the index
    /// (stale, zero or reset index, or a spurious wake-up): this is what keeps the loop from spinning.
    /// </summary>
    public static readonly TimeSpan MinIntervalWithoutProgress = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Minimum spacing between the starts of two queries when the index advanced (a real change). Small, so a
    /// burst of changes is followed closely, but never zero.
    /// </summary>
    public static readonly TimeSpan MinIntervalWithProgress = TimeSpan.FromMilliseconds(100);

    /// <summary>First back-off after a failed query.</summary>
    public static readonly TimeSpan BackoffBase = TimeSpan.FromSeconds(1);

    /// <summary>Largest back-off after repeated failures.</summary>
    public static readonly TimeSpan BackoffMax = TimeSpan.FromSeconds(30);

    /// <summary>HTTP timeout for one query: wait + wait/16 (Consul's jitter) + slack.</summary>
    public static TimeSpan RequestTimeout(TimeSpan wait) => wait + (wait / 16) + TimeoutSlack;
}
