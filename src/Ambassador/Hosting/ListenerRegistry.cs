using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Ambassador.Hosting;

/// <summary>Which listener a connection arrived on, and the addresses actually bound (port 0 resolved).</summary>
public sealed class ListenerRegistry
{
    private readonly List<(string Name, ListenOptions Options)> _listeners = [];
    private int _adminPort = -1;

    internal void Add(string name, ListenOptions options) => _listeners.Add((name, options));

    /// <summary>The bound address of a listener (<c>proxy</c>, <c>proxyTls</c>, <c>admin</c>), after the server started.</summary>
    public Uri? GetAddress(string name)
    {
        foreach (var (listenerName, options) in _listeners)
        {
            if (listenerName == name)
            {
                var scheme = name == ListenerNames.ProxyTls ? "https" : "http";
                var endpoint = options.IPEndPoint;
                return endpoint is null ? null : new Uri($"{scheme}://{FormatHost(endpoint.Address)}:{endpoint.Port}/");
            }
        }

        return null;
    }

    /// <summary>All bound listeners as <c>name=url</c>, for the startup log line.</summary>
    public string Describe() =>
        string.Join(" ", _listeners.Select(l => l.Name).Where(n => n != ListenerNames.ProxyH2c).Distinct().Select(n => $"{n}={GetAddress(n)}"));

    /// <summary>True when the request arrived on the admin listener.</summary>
    public bool IsAdmin(HttpContext context)
    {
        var port = _adminPort;
        if (port < 0)
        {
            port = ResolveAdminPort();
        }

        return context.Connection.LocalPort == port;
    }

    private int ResolveAdminPort()
    {
        foreach (var (name, options) in _listeners)
        {
            if (name == ListenerNames.Admin && options.IPEndPoint is { Port: > 0 } endpoint)
            {
                _adminPort = endpoint.Port;
                return endpoint.Port;
            }
        }

        return int.MinValue;
    }

    private static string FormatHost(System.Net.IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
}

/// <summary>Listener names used by <see cref="ListenerRegistry"/>.</summary>
public static class ListenerNames
{
    /// <summary>The plaintext proxy listener.</summary>
    public const string Proxy = "proxy";

    /// <summary>The TLS proxy listener.</summary>
    public const string ProxyTls = "proxyTls";

    /// <summary>The internal HTTP/2-only loopback listener that h2c prior-knowledge connections are spliced to.</summary>
    public const string ProxyH2c = "proxyH2c";

    /// <summary>The admin listener.</summary>
    public const string Admin = "admin";
}
