using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Ambassador.Configuration;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Hosting;

namespace Ambassador.Hosting;

/// <summary>Defaults of the Unix-socket proxy listener.</summary>
public static class UnixSocketListenerConstants
{
    /// <summary>The section both keys live in (beside the TCP listeners).</summary>
    public const string SectionName = "Ambassador:Listeners";

    /// <summary>Default file mode of the socket: owner read/write only, so only the app's user can connect.</summary>
    public const string DefaultMode = "0600";

    /// <summary>The longest socket path Linux accepts (<c>sun_path</c> is 108 bytes including the terminating NUL).</summary>
    public const int MaxPathBytes = 107;
}

/// <summary>The Unix-socket proxy listener, keys <c>Ambassador:Listeners:ProxyUnixSocket</c> and <c>ProxyUnixSocketMode</c>.</summary>
public sealed class UnixSocketListenerOptions
{
    /// <summary>
    /// Path of a Unix domain socket that serves the same routes as the proxy listener (HTTP/1.1 and h2c with prior
    /// knowledge), e.g. <c>/run/ambassador/proxy.sock</c>. A stale socket file left by a crash is replaced at start; the
    /// file is removed on exit. Default: none (off).
    /// </summary>
    public string? ProxyUnixSocket { get; set; }

    /// <summary>Octal file mode set on the socket once it is bound, e.g. <c>0660</c> to let the group in. Default: <c>0600</c>.</summary>
    public string ProxyUnixSocketMode { get; set; } = UnixSocketListenerConstants.DefaultMode;
}

/// <summary>
/// Binds the Unix-socket proxy listener on Kestrel, with the same h2c prior-knowledge splice as the TCP proxy
/// listener, sets its mode once bound and removes it on exit. Kestrel refuses to bind over an existing file, so a
/// socket nobody answers on (left by a killed process) is deleted first; a live one or a non-socket file is an error.
/// </summary>
internal sealed class UnixSocketListener(IConfiguration config, ILogger<UnixSocketListener> logger) : IHostedLifecycleService
{
    public const string ListenerName = "proxyUnixSocket";

    private string? _path;

    public static void Configure(KestrelServerOptions kestrel, IConfiguration config)
    {
        var path = config.GetSection(UnixSocketListenerConstants.SectionName)[nameof(UnixSocketListenerOptions.ProxyUnixSocket)];
        if (string.IsNullOrEmpty(path))
        {
            return;
        }

        RemoveStale(path);
        var registry = kestrel.ApplicationServices.GetRequiredService<ListenerRegistry>();
        var h2c = new H2cPriorKnowledge(registry);
        kestrel.ListenUnixSocket(path, options =>
        {
            options.Protocols = HttpProtocols.Http1;
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
        var section = config.GetSection(UnixSocketListenerConstants.SectionName);
        _path = section[nameof(UnixSocketListenerOptions.ProxyUnixSocket)];
        if (!OperatingSystem.IsWindows() && !string.IsNullOrEmpty(_path) && Path.Exists(_path))
        {
            var mode = ParseMode(section[nameof(UnixSocketListenerOptions.ProxyUnixSocketMode)] ?? UnixSocketListenerConstants.DefaultMode) ?? (UnixFileMode.UserRead | UnixFileMode.UserWrite);
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

    /// <summary>Validates both keys.</summary>
    internal sealed class Validator : IConfigValidationContributor
    {
        public void Validate(IConfiguration candidate, ConfigProblems problems)
        {
            var section = candidate.GetSection(UnixSocketListenerConstants.SectionName);
            var key = $"{UnixSocketListenerConstants.SectionName}:{nameof(UnixSocketListenerOptions.ProxyUnixSocket)}";
            var path = section[nameof(UnixSocketListenerOptions.ProxyUnixSocket)];
            if (path is not null && path.Length > 0)
            {
                if (!Path.IsPathFullyQualified(path))
                {
                    problems.Add(key, $"'{path}' is not an absolute path; use e.g. /run/ambassador/proxy.sock");
                }
                else if (Encoding.UTF8.GetByteCount(path) > UnixSocketListenerConstants.MaxPathBytes)
                {
                    problems.Add(key, string.Create(CultureInfo.InvariantCulture,
                        $"'{path}' is {Encoding.UTF8.GetByteCount(path)} bytes long; a Unix socket path is at most {UnixSocketListenerConstants.MaxPathBytes} bytes, e.g. /run/ambassador/proxy.sock"));
                }
                else if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD())
                {
                    problems.Add(key, "is not supported on this operating system; remove it or run on Linux");
                }
            }

            var mode = section[nameof(UnixSocketListenerOptions.ProxyUnixSocketMode)];
            if (mode is not null && ParseMode(mode) is null)
            {
                problems.Add($"{UnixSocketListenerConstants.SectionName}:{nameof(UnixSocketListenerOptions.ProxyUnixSocketMode)}",
                    $"'{mode}' is not an octal file mode; use e.g. 0600 (owner only) or 0660 (owner and group)");
            }
        }
    }
}
