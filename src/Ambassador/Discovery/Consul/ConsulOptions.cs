using Ambassador.Configuration;

namespace Ambassador.Discovery.Consul;

/// <summary>The options of Consul discovery (<c>Ambassador:Discovery:Consul</c>), declared once.</summary>
internal static class ConsulOptionTable
{
    public static readonly StringOption Address = OptionSpec.Url(
        nameof(ConsulOptions.Address), null, "http://127.0.0.1:8500",
        "The Consul HTTP API address; Consul discovery is on exactly when it is set.", "http", "https");

    public static readonly StringOption Token = OptionSpec.String(
        nameof(ConsulOptions.Token), null,
        "ACL token sent as the X-Consul-Token header; never logged or shown.",
        allowed: "use the token as issued (it is sent as the X-Consul-Token header)",
        check: raw => raw.Any(char.IsControl) ? "contains control characters" : null,
        secret: true);

    public static readonly StringOption Datacenter = OptionSpec.String(
        nameof(ConsulOptions.Datacenter), null, "The Consul datacenter to query (dc); default: the agent's own.");

    public static readonly StringOption Filter = OptionSpec.String(
        nameof(ConsulOptions.Filter), null, "A Consul filter expression (filter), e.g. Service.Tags contains \"primary\".");

    public static readonly DurationOption WaitTime = OptionSpec.Duration(
        nameof(ConsulOptions.WaitTime), TimeSpan.FromMinutes(5), min: TimeSpan.Zero, max: TimeSpan.FromMinutes(10), minExclusive: true,
        doc: "Blocking-query wait (wait); Consul caps it at 10 minutes and answers within it plus wait/16 of jitter.");

    public static readonly BooleanOption OnlyPassing = OptionSpec.Bool(
        nameof(ConsulOptions.OnlyPassing), true,
        "Keep only instances whose checks all pass; when false, instances with a warning check are kept too.");

    public static readonly IntegerOption<long> MaxResponseBytes = OptionSpec.Long(
        nameof(ConsulOptions.MaxResponseBytes), 4 * 1024 * 1024, min: 1024, max: long.MaxValue,
        doc: "Largest Consul answer accepted, in bytes; a larger one is an error and the last good set is kept.");

    public static readonly OptionSection Section = new(
        ConsulConstants.SectionName, "Service discovery through Consul's health API.",
        Address, Token, Datacenter, Filter, WaitTime, OnlyPassing, MaxResponseBytes);
}

/// <summary>
/// Options of the Consul discovery client, bound from <c>Ambassador:Discovery:Consul</c>; declared in
/// <see cref="ConsulOptionTable"/>. Consul discovery is on exactly when <see cref="Address"/> is set.
/// </summary>
public sealed class ConsulOptions
{
    /// <summary>See <see cref="ConsulOptionTable.Address"/>.</summary>
    public string? Address { get; set; }

    /// <summary>See <see cref="ConsulOptionTable.Token"/>.</summary>
    public string? Token { get; set; }

    /// <summary>See <see cref="ConsulOptionTable.Datacenter"/>.</summary>
    public string? Datacenter { get; set; }

    /// <summary>See <see cref="ConsulOptionTable.Filter"/>.</summary>
    public string? Filter { get; set; }

    /// <summary>See <see cref="ConsulOptionTable.WaitTime"/>.</summary>
    public TimeSpan WaitTime { get; set; } = ConsulOptionTable.WaitTime.Default;

    /// <summary>See <see cref="ConsulOptionTable.OnlyPassing"/>.</summary>
    public bool OnlyPassing { get; set; } = ConsulOptionTable.OnlyPassing.Default;

    /// <summary>See <see cref="ConsulOptionTable.MaxResponseBytes"/>.</summary>
    public long MaxResponseBytes { get; set; } = ConsulOptionTable.MaxResponseBytes.Default;

    /// <summary>
    /// True when <see cref="Address"/> is an absolute http(s) URL. Validation rejects anything else before it is
    /// applied; this guard only matters while a configuration that will be rejected is being checked.
    /// </summary>
    internal bool IsEnabled() =>
        Uri.TryCreate(Address, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}
