using System.Net;

namespace Ambassador.Hosting;

/// <summary>Default listener addresses (DESIGN.md: the app only ever calls the proxy listener).</summary>
public static class ListenerConstants
{
    /// <summary>Default proxy listener: <c>http://127.0.0.1:3000</c>.</summary>
    public const string DefaultProxy = "http://127.0.0.1:3000";

    /// <summary>Default TLS proxy listener, on only when a certificate is configured: <c>https://127.0.0.1:3443</c>.</summary>
    public const string DefaultProxyTls = "https://127.0.0.1:3443";

    /// <summary>Default admin listener: <c>http://127.0.0.1:9901</c> (loopback only).</summary>
    public const string DefaultAdmin = "http://127.0.0.1:9901";
}

/// <summary>Listener addresses, section <c>Ambassador:Listeners</c>.</summary>
public sealed class ListenerOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Ambassador:Listeners";

    /// <summary>Proxy listener URL. Default <c>http://127.0.0.1:3000</c>.</summary>
    public string Proxy { get; set; } = ListenerConstants.DefaultProxy;

    /// <summary>TLS proxy listener URL. Default <c>https://127.0.0.1:3443</c>; on only when <c>Ambassador:Tls:CertificatePath</c> is set.</summary>
    public string ProxyTls { get; set; } = ListenerConstants.DefaultProxyTls;

    /// <summary>Admin listener URL. Default <c>http://127.0.0.1:9901</c>.</summary>
    public string Admin { get; set; } = ListenerConstants.DefaultAdmin;
}

/// <summary>Shutdown behaviour, section <c>Ambassador:Lifecycle</c>.</summary>
public sealed class LifecycleOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Ambassador:Lifecycle";

    /// <summary>How long in-flight requests may take to finish after SIGTERM. Default 00:00:10.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long to keep accepting connections after SIGTERM (Kubernetes endpoint propagation). Default 0.</summary>
    public TimeSpan PreStopDelay { get; set; } = TimeSpan.Zero;
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
