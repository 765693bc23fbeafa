using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Ambassador.Configuration;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Ambassador.Hosting;

/// <summary>
/// The Unix-socket proxy listener's options, keys <c>Ambassador:Listeners:ProxyUnixSocket</c> and
/// <c>ProxyUnixSocketMode</c>, declared once; they are part of <see cref="HostOptionTable.Listeners"/> and bind to
/// <see cref="ListenerOptions"/>.
/// </summary>
internal static class UnixSocketOptionTable
{
    /// <summary>The longest socket path Linux accepts (<c>sun_path</c> is 108 bytes including the terminating NUL).</summary>
    public const int MaxPathBytes = 107;

    public static readonly StringOption ProxyUnixSocket = OptionSpec.String(
        nameof(ListenerOptions.ProxyUnixSocket), null,
        "A Unix domain socket serving the same routes as the proxy listener (HTTP/1.1 and h2c with prior knowledge); a stale socket file is replaced at start, the file is removed on exit.",
        allowed: string.Create(CultureInfo.InvariantCulture, $"use an absolute path of at most {MaxPathBytes} bytes, e.g. /run/ambassador/proxy.sock"),
        check: CheckPath);

    public static readonly StringOption ProxyUnixSocketMode = OptionSpec.String(
        nameof(ListenerOptions.ProxyUnixSocketMode), "0600",
        "Octal file mode set on the socket once it is bound; the default lets only the owner connect.",
        allowed: "use an octal file mode, e.g. 0600 (owner only) or 0660 (owner and group)",
        emptyIsUnset: false,
        check: raw => UnixSocketListener.ParseMode(raw) is null ? $"'{raw}' is not an octal file mode" : null);

    private static string? CheckPath(string raw)
    {
        if (!Path.IsPathFullyQualified(raw))
        {
            return $"'{raw}' is not an absolute path";
        }

        var bytes = Encoding.UTF8.GetByteCount(raw);
        if (bytes > MaxPathBytes)
        {
            return string.Create(CultureInfo.InvariantCulture, $"'{raw}' is {bytes} bytes long");
        }

        return OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD()
            ? null
            : "is not supported on this operating system";
    }
}

/// <summary>
/// Binds the Unix-socket proxy listener on Kestrel, with the same h2c prior-knowledge splice as the TCP proxy
/// listener, sets its mode once bound and removes it on exit. Kestrel refuses to bind over an existing file, so a
/// socket nobody answers on (left by a killed process) is deleted first; a live one or a non-socket file is an error.
/// </summary>
internal sealed class UnixSocketListener(IOptionsMonitor<ListenerOptions> listeners, ILogger<UnixSocketListener> logger) : IHostedLifecycleService
{
    public const string ListenerName = "proxyUnixSocket";

    private string? _path;

    /// <summary>
    /// Adds the socket to <paramref name="kestrel"/> when <paramref name="path"/> is set. Called by
    /// <see cref="KestrelListeners"/> at host start, from validated options, before Kestrel binds. Its connections
    /// count against <paramref name="limits"/>, the budget the TCP proxy listeners share: the limit bounds the process's
    /// memory, and a connection costs the same whichever proxy listener it came in on.
    /// </summary>
    public static void Listen(KestrelServerOptions kestrel, string? path, ListenerRegistry registry, H2cPriorKnowledge h2c, ConnectionLimits limits)
    {
        if (string.IsNullOrEmpty(path))
        {
            return;
        }

        RemoveStale(path);
        kestrel.ListenUnixSocket(path, options =>
        {
            options.Protocols = HttpProtocols.Http1;
            limits.Limit(options, localhost: false);
            options.Use(h2c.Middleware);
            registry.Add(ListenerName, options);
        });
    }

    /// <summary>Deletes <paramref name="path"/> when it is a socket nobody listens on.</summary>
    internal static void RemoveStale(string path)
    {
        // File.Exists is false for a socket: Path.Exists sees any directory entry.
        if (!Path.Exists(path))
        {
            return;
        }

        if (Directory.Exists(path))
        {
            throw new IOException($"{path} is a directory; Ambassador:Listeners:ProxyUnixSocket must name a socket path");
        }

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException)
        {
            File.Delete(path);
            return;
        }

        throw new IOException($"{path} is in use by another process; stop it or choose another Ambassador:Listeners:ProxyUnixSocket");
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        var options = listeners.CurrentValue;
        _path = options.ProxyUnixSocket;
        if (!OperatingSystem.IsWindows() && !string.IsNullOrEmpty(_path) && Path.Exists(_path))
        {
            var mode = ParseMode(options.ProxyUnixSocketMode) ?? (UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.SetUnixFileMode(_path, mode);
        }

        return Task.CompletedTask;
    }

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(_path))
        {
            try
            {
                File.Delete(_path);
            }
            catch (IOException ex)
            {
                logger.LogDebug(ex, "Could not remove the Unix socket file");
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>Parses an octal mode of 3 or 4 digits (<c>600</c>, <c>0660</c>) up to 0777; null when invalid.</summary>
    internal static UnixFileMode? ParseMode(string raw)
    {
        if (raw.Length is < 3 or > 4 || raw.Any(c => c is < '0' or > '7') || (raw.Length == 4 && raw[0] != '0'))
        {
            return null;
        }

        return (UnixFileMode)Convert.ToInt32(raw, 8);
    }
}
