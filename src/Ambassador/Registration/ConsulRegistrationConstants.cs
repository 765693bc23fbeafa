namespace Ambassador.Registration;

/// <summary>Defaults and limits of Consul registration (<c>Ambassador:Registration:Consul</c>).</summary>
public static class ConsulRegistrationConstants
{
    /// <summary>The configuration section of <see cref="ConsulRegistrationOptions"/>.</summary>
    public const string SectionName = "Ambassador:Registration:Consul";

    /// <summary>A TTL check that Ambassador keeps passing from its app probe.</summary>
    public const string TtlCheck = "ttl";

    /// <summary>An HTTP check that the Consul agent runs itself.</summary>
    public const string HttpCheck = "http";

    /// <summary>
    /// A TTL check's TTL is this many app probe intervals (<c>Ambassador:App:Health:Interval</c>): Ambassador updates it
    /// after every probe, so two lost updates in a row still do not turn the check critical.
    /// </summary>
    public const int TtlIntervals = 3;

    /// <summary>Timeout of one agent request (register, check update, read): the agent is local.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Longest wait for the deregistration on shutdown. It runs before the pre-stop delay and the drain, so a Consul
    /// that does not answer delays shutdown by at most this; the check's TTL and DeregisterCriticalServiceAfter clean up.
    /// </summary>
    public static readonly TimeSpan DeregisterTimeout = TimeSpan.FromSeconds(2);

    /// <summary>First back-off after a failed agent request.</summary>
    public static readonly TimeSpan BackoffBase = TimeSpan.FromSeconds(1);

    /// <summary>Largest back-off after repeated failures.</summary>
    public static readonly TimeSpan BackoffMax = TimeSpan.FromSeconds(30);
}
