using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Ambassador.FunctionalTests.Infrastructure;

/// <summary>
/// Runs the real Ambassador executable (<c>dotnet Ambassador.dll</c>) as a child process, for what only a
/// process shows: exit codes, stderr, signals.
/// </summary>
public sealed partial class AmbassadorProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();

    private AmbassadorProcess(Process process, string workingDirectory)
    {
        _process = process;
        WorkingDirectory = workingDirectory;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { _stdout.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { _stderr.Enqueue(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string WorkingDirectory { get; }

    public int Pid => _process.Id;

    public string Stdout => string.Join("\n", _stdout);

    public string Stderr => string.Join("\n", _stderr);

    public Uri? ProxyAddress { get; private set; }

    public Uri? AdminAddress { get; private set; }

    public static string AmbassadorDll => Path.Combine(AppContext.BaseDirectory, "Ambassador.dll");

    /// <summary>Starts <c>dotnet Ambassador.dll args</c> in a fresh temp working directory (no appsettings.json there).</summary>
    public static AmbassadorProcess Start(params string[] args) => Start(new Dictionary<string, string>(), args);

    /// <summary>Starts <c>dotnet Ambassador.dll args</c> with extra environment variables (e.g. <c>OPENSSL_CONF</c>).</summary>
    public static AmbassadorProcess Start(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        Start(Directory.CreateTempSubdirectory("ambassador-proc-").FullName, environment, args);

    /// <summary>
    /// Starts the proxy with <paramref name="json"/> as its <c>--config</c> file (kept in the process's working directory,
    /// removed with it), its proxy and admin listeners on 127.0.0.1:0, and waits until it logged the bound addresses.
    /// </summary>
    public static async Task<AmbassadorProcess> StartServingAsync(string json)
    {
        var directory = Directory.CreateTempSubdirectory("ambassador-proc-").FullName;
        var config = Path.Combine(directory, "ambassador.json");
        await File.WriteAllTextAsync(config, json);
        var process = Start(directory, new Dictionary<string, string>(),
            ["--config", config, "--Ambassador:Listeners:Proxy=http://127.0.0.1:0", "--Ambassador:Listeners:Admin=http://127.0.0.1:0"]);
        try
        {
            await process.WaitForStartAsync(TimeSpan.FromSeconds(30));
            return process;
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    private static AmbassadorProcess Start(string directory, IReadOnlyDictionary<string, string> environment, string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(AmbassadorDll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["Logging__Console__FormatterName"] = "simple";
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }
        return new AmbassadorProcess(Process.Start(info)!, directory);
    }

    /// <summary>Runs to completion and returns the exit code (kills after <paramref name="timeout"/>).</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"Ambassador did not exit within {timeout}. stdout:\n{Stdout}\nstderr:\n{Stderr}");
        }

        _process.WaitForExit(); // flush redirected output
        return _process.ExitCode;
    }

    /// <summary>Waits for the startup log line and reads the bound listener addresses from it.</summary>
    public async Task WaitForStartAsync(TimeSpan timeout)
    {
        await Poll.UntilAsync(() => _process.HasExited || StartedLine().IsMatch(Stdout), timeout, "Ambassador logs its startup line");
        if (_process.HasExited)
        {
            throw new InvalidOperationException($"Ambassador exited with {_process.ExitCode}. stdout:\n{Stdout}\nstderr:\n{Stderr}");
        }

        var match = StartedLine().Match(Stdout);
        ProxyAddress = new Uri(match.Groups["proxy"].Value);
        AdminAddress = new Uri(match.Groups["admin"].Value);
    }

    /// <summary>Whether the proxy listener accepts a TCP connection now (false once it stopped listening).</summary>
    public bool ProxyAcceptsConnections()
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Connect(IPAddress.Loopback, ProxyAddress!.Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Sends a POSIX signal (e.g. TERM) to the process.</summary>
    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }

    public bool HasExited => _process.HasExited;

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(WorkingDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [GeneratedRegex(@"Ambassador started: proxy=(?<proxy>\S+)(?: \S+)* admin=(?<admin>\S+)")]
    private static partial Regex StartedLine();
}
