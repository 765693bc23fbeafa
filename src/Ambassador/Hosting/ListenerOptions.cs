using System.Net;
using Ambassador.Configuration;

namespace Ambassador.Hosting;

/// <summary>
/// The listener and lifecycle options (<c>Ambassador:Listeners</c>, <c>Ambassador:Lifecycle</c>), declared once;
/// <see cref="ListenerOptions"/> and <see cref="LifecycleOptions"/> take their defaults from here.
/// </summary>
internal static class HostOptionTable
{
    public static readonly StringOption Proxy = Listener(
        nameof(ListenerOptions.Proxy), "http", "http://127.0.0.1:3000",
        "The proxy listener, the only address the app calls.");

    public static readonly StringOption ProxyTls = Listener(
        nameof(ListenerOptions.ProxyTls), "https", "https://127.0.0.1:3443",
        "The TLS proxy listener (same routes as Proxy); on exactly when Ambassador:Tls:CertificatePath is set.");

    public static readonly StringOption Admin = Listener(
        nameof(ListenerOptions.Admin), "http", "http://127.0.0.1:9901",
        "The admin listener (/healthz, /readyz, /metrics, /admin/*); never on the proxy port.");

    public static readonly OptionSection Listeners = new(
        ListenerOptions.SectionName, "Listener addresses; read at start (changing them needs a restart).", Proxy, ProxyTls, Admin,
        UnixSocketOptionTable.ProxyUnixSocket, UnixSocketOptionTable.ProxyUnixSocketMode);

    public static readonly DurationOption DrainTimeout = OptionSpec.Duration(
        nameof(LifecycleOptions.DrainTimeout), TimeSpan.FromSeconds(10), min: TimeSpan.Zero, max: null, minExclusive: true,
        doc: "How long in-flight requests may take to finish after SIGTERM.");

    public static readonly DurationOption PreStopDelay = OptionSpec.Duration(
        nameof(LifecycleOptions.PreStopDelay), TimeSpan.Zero, min: TimeSpan.Zero, max: null, example: TimeSpan.FromSeconds(5),
        doc: "How long to keep accepting connections after SIGTERM (Kubernetes endpoint propagation).");

    public static readonly OptionSection Lifecycle = new(
        LifecycleOptions.SectionName, "Graceful shutdown.", DrainTimeout, PreStopDelay);

    private static StringOption Listener(string key, string scheme, string @default, string doc) => OptionSpec.String(
        key, @default, doc,
        allowed: $"use {scheme}://<ip or localhost>:<port>, e.g. {@default}",
        emptyIsUnset: false,
        check: raw => ListenerAddress.Parse(raw) is not { } address
            ? $"'{raw}' is not a listener URL"
            : string.Equals(address.Scheme, scheme, StringComparison.OrdinalIgnoreCase) ? null : $"'{raw}' does not use the {scheme} scheme");
}

/// <summary>Listener addresses, section <c>Ambassador:Listeners</c>; declared in <see cref="HostOptionTable"/>.</summary>
public sealed class ListenerOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Ambassador:Listeners";

    /// <summary>See <see cref="HostOptionTable.Proxy"/>.</summary>
    public string Proxy { get; set; } = HostOptionTable.Proxy.Default!;

    /// <summary>See <see cref="HostOptionTable.ProxyTls"/>.</summary>
    public string ProxyTls { get; set; } = HostOptionTable.ProxyTls.Default!;

    /// <summary>See <see cref="HostOptionTable.Admin"/>.</summary>
    public string Admin { get; set; } = HostOptionTable.Admin.Default!;

    /// <summary>See <see cref="UnixSocketOptionTable.ProxyUnixSocket"/>; default none (off).</summary>
    public string? ProxyUnixSocket { get; set; }

    /// <summary>See <see cref="UnixSocketOptionTable.ProxyUnixSocketMode"/>.</summary>
    public string ProxyUnixSocketMode { get; set; } = UnixSocketOptionTable.ProxyUnixSocketMode.Default!;
}

/// <summary>Shutdown behaviour, section <c>Ambassador:Lifecycle</c>; declared in <see cref="HostOptionTable"/>.</summary>
public sealed class LifecycleOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Ambassador:Lifecycle";

    /// <summary>See <see cref="HostOptionTable.DrainTimeout"/>.</summary>
    public TimeSpan DrainTimeout { get; set; } = HostOptionTable.DrainTimeout.Default;

    /// <summary>See <see cref="HostOptionTable.PreStopDelay"/>.</summary>
    public TimeSpan PreStopDelay { get; set; } = HostOptionTable.PreStopDelay.Default;
}

/// <summary>A parsed listener URL.</summary>
internal sealed record ListenerAddress(string Scheme, string Host, IPAddress? Address, int Port)
{
    public bool IsLocalhost => Address is null;

    /// <summary>Parses <c>scheme://host:port</c> where host is an IP literal, <c>localhost</c>, <c>*</c> or <c>+</c>.</summary>
    public static ListenerAddress? Parse(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw))
        {
            return null;
        }

        var text = raw.Trim();
        var schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0)
        {
            return null;
        }

        var scheme = text[..schemeEnd].ToLowerInvariant();
        if (scheme is not ("http" or "https"))
        {
            return null;
        }

        var rest = text[(schemeEnd + 3)..].TrimEnd('/');
        if (rest.Contains('/', StringComparison.Ordinal))
        {
            return null;
        }

        var colon = rest.LastIndexOf(':');
        if (colon <= 0 || rest.EndsWith(']'))
        {
            return null;
        }

        var host = rest[..colon];
        if (!int.TryParse(rest[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            return null;
        }

        if (host is "*" or "+")
        {
            return new ListenerAddress(scheme, host, IPAddress.Any, port);
        }

        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return new ListenerAddress(scheme, "localhost", null, port);
        }

        var bare = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        return IPAddress.TryParse(bare, out var ip) ? new ListenerAddress(scheme, host, ip, port) : null;
    }
}
