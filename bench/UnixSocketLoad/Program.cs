using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

// Closed-loop HTTP/1.1 load: N connections, each sending its next GET when the previous answer is read, for S
// seconds. Prints one JSON line: requests, errors, rate, latency percentiles (µs) and this client's own CPU per
// request, so the app's side of the hop is measured too. Usage:
//   UnixSocketLoad tcp:127.0.0.1:3000 <connections> <seconds>
//   UnixSocketLoad unix:/run/ambassador/proxy.sock <connections> <seconds>
if (args.Length != 3
    || !int.TryParse(args[1], CultureInfo.InvariantCulture, out var connections) || connections < 1
    || !double.TryParse(args[2], CultureInfo.InvariantCulture, out var seconds) || seconds <= 0)
{
    await Console.Error.WriteLineAsync("usage: UnixSocketLoad tcp:<host>:<port>|unix:<path> <connections> <seconds>");
    return 2;
}

var endPoint = ParseEndPoint(args[0]);
using var handler = new SocketsHttpHandler
{
    MaxConnectionsPerServer = connections,
    PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
    PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
    UseProxy = false,
    AllowAutoRedirect = false,
    UseCookies = false,
    // The same connect code for both transports, so only the transport differs.
    ConnectCallback = async (_, cancellationToken) =>
    {
        var socket = endPoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    },
};
using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
var uri = new Uri("http://localhost/");

var latencies = new List<long>[connections];
var errors = new int[connections];
var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
var started = Stopwatch.GetTimestamp();
var stopAt = started + (long)(seconds * Stopwatch.Frequency);
await Task.WhenAll(Enumerable.Range(0, connections).Select(i => Task.Run(async () =>
{
    var mine = latencies[i] = new List<long>(capacity: 1 << 16);
    var buffer = new byte[4096];
    while (Stopwatch.GetTimestamp() < stopAt)
    {
        var t0 = Stopwatch.GetTimestamp();
        try
        {
            using var response = await client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead);
            await using var body = await response.Content.ReadAsStreamAsync();
            while (await body.ReadAsync(buffer) > 0)
            {
            }

            if (response.StatusCode != HttpStatusCode.OK)
            {
                errors[i]++;
                continue;
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
        {
            errors[i]++;
            continue;
        }

        mine.Add(Stopwatch.GetTimestamp() - t0);
    }
})));
var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMicroseconds;

var all = latencies.SelectMany(l => l).Order().ToArray();
double Percentile(double p) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)(p * all.Length))] * 1e6 / Stopwatch.Frequency;
var requests = all.Length;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $$"""{"requests":{{requests}},"errors":{{errors.Sum()}},"seconds":{{elapsed:0.###}},"rps":{{requests / elapsed:0.#}},"p50_us":{{Percentile(0.50):0.#}},"p90_us":{{Percentile(0.90):0.#}},"p99_us":{{Percentile(0.99):0.#}},"client_cpu_us_per_req":{{(requests == 0 ? 0 : cpu / requests):0.##}}}"""));
return 0;

static EndPoint ParseEndPoint(string target)
{
    if (target.StartsWith("unix:", StringComparison.Ordinal))
    {
        return new UnixDomainSocketEndPoint(target["unix:".Length..]);
    }

    if (target.StartsWith("tcp:", StringComparison.Ordinal))
    {
        var hostPort = target["tcp:".Length..];
        var colon = hostPort.LastIndexOf(':');
        return new IPEndPoint(IPAddress.Parse(hostPort[..colon]), int.Parse(hostPort[(colon + 1)..], CultureInfo.InvariantCulture));
    }

    throw new ArgumentException($"target must be tcp:<host>:<port> or unix:<path>, not '{target}'", nameof(target));
}
