using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Ambassador.Discovery.Consul;

/// <summary>What went wrong talking to Consul; one log line is written per change of this state.</summary>
internal enum ConsulErrorKind
{
    /// <summary>Connection refused, reset, DNS or TLS failure.</summary>
    Unreachable,

    /// <summary>A non-2xx status (5xx, 403 for a bad token, …).</summary>
    BadStatus,

    /// <summary>The body is not the documented JSON.</summary>
    Malformed,

    /// <summary>No answer within wait + wait/16 + slack.</summary>
    Timeout,

    /// <summary>The answer exceeded <see cref="ConsulOptions.MaxResponseBytes"/>.</summary>
    TooLarge,
}

/// <summary>A failed Consul query. The message never contains the token.</summary>
internal sealed class ConsulQueryException(ConsulErrorKind kind, string message, Exception? inner = null)
    : Exception(message, inner)
{
    /// <summary>The kind of failure.</summary>
    public ConsulErrorKind Kind { get; } = kind;
}

/// <summary>One answer of the health endpoint.</summary>
/// <param name="Entries">The instances, as Consul returned them.</param>
/// <param name="Index">The <c>X-Consul-Index</c> header, 0 when missing or not a number.</param>
internal sealed record ConsulQueryResult(IReadOnlyList<ConsulServiceEntry> Entries, long Index);

/// <summary>The part of the Consul query the watcher depends on (a seam for tests).</summary>
internal interface IConsulHealthClient
{
    /// <summary>
    /// <c>GET /v1/health/service/{service}</c>; blocks when <paramref name="index"/> is above 0.
    /// Throws <see cref="ConsulQueryException"/> on every kind of failure.
    /// </summary>
    Task<ConsulQueryResult> QueryAsync(ConsulOptions options, string service, long index, CancellationToken cancellationToken);
}

/// <summary>
/// A small client of Consul's HTTP API: the health endpoint with blocking queries. It owns its handler (no
/// IHttpClientFactory logging of request lines) and reads at most <see cref="ConsulOptions.MaxResponseBytes"/>.
/// </summary>
internal sealed class ConsulClient : IConsulHealthClient, IDisposable
{
    private readonly HttpClient _httpClient;
    private readonly TimeProvider _timeProvider;

    public ConsulClient(TimeProvider timeProvider)
        : this(CreateHandler(), timeProvider)
    {
    }

    internal ConsulClient(HttpMessageHandler handler, TimeProvider timeProvider)
    {
        _httpClient = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        _timeProvider = timeProvider;
    }

    /// <inheritdoc />
    public async Task<ConsulQueryResult> QueryAsync(ConsulOptions options, string service, long index, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, BuildUri(options, service, index));
        AddToken(request, options);

        var timeout = index > 0 ? ConsulConstants.RequestTimeout(options.WaitTime) : ConsulConstants.RequestTimeout(TimeSpan.Zero) + ConsulConstants.ConnectTimeout;
        using var timeoutCts = new CancellationTokenSource(timeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutCts.Token);
        try
        {
            using var response = await _httpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw new ConsulQueryException(
                    ConsulErrorKind.BadStatus,
                    string.Create(CultureInfo.InvariantCulture, $"Consul answered {(int)response.StatusCode} {response.ReasonPhrase}"));
            }

            var body = await ReadBoundedAsync(response.Content, options.MaxResponseBytes, linked.Token);
            ConsulServiceEntry[]? entries;
            try
            {
                entries = JsonSerializer.Deserialize(body, ConsulJsonContext.Default.ConsulServiceEntryArray);
            }
            catch (JsonException ex)
            {
                throw new ConsulQueryException(ConsulErrorKind.Malformed, "Consul answer is not valid JSON: " + ex.Message, ex);
            }

            if (entries is null)
            {
                throw new ConsulQueryException(ConsulErrorKind.Malformed, "Consul answer is null, expected an array");
            }

            return new ConsulQueryResult(entries, ParseIndex(response));
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ConsulQueryException(
                ConsulErrorKind.Timeout,
                string.Create(CultureInfo.InvariantCulture, $"Consul did not answer within {timeout.TotalSeconds:0.###} s"),
                ex);
        }
        catch (HttpRequestException ex)
        {
            throw new ConsulQueryException(ConsulErrorKind.Unreachable, "Consul is unreachable: " + ex.Message, ex);
        }
        catch (NotSupportedException ex)
        {
            throw new ConsulQueryException(ConsulErrorKind.Unreachable, "Consul address not supported: " + ex.Message, ex);
        }
        catch (IOException ex)
        {
            throw new ConsulQueryException(ConsulErrorKind.Unreachable, "Consul connection failed: " + ex.Message, ex);
        }
    }

    /// <summary>Builds the query URL (never contains the token; it travels in a header).</summary>
    internal static Uri BuildUri(ConsulOptions options, string service, long index)
    {
        var sb = new StringBuilder(options.Address!.TrimEnd('/'));
        sb.Append("/v1/health/service/").Append(Uri.EscapeDataString(service));
        var separator = '?';
        void Add(string name, string value)
        {
            sb.Append(separator).Append(name).Append('=').Append(Uri.EscapeDataString(value));
            separator = '&';
        }

        if (options.OnlyPassing)
        {
            Add("passing", "true");
        }

        if (!string.IsNullOrEmpty(options.Datacenter))
        {
            Add("dc", options.Datacenter);
        }

        if (!string.IsNullOrEmpty(options.Filter))
        {
            Add("filter", options.Filter);
        }

        if (index > 0)
        {
            Add("index", index.ToString(CultureInfo.InvariantCulture));
            Add("wait", FormatWait(options.WaitTime));
        }

        return new Uri(sb.ToString(), UriKind.Absolute);
    }

    /// <summary>Consul parses Go durations; whole seconds read best, milliseconds otherwise.</summary>
    internal static string FormatWait(TimeSpan wait)
    {
        var ms = (long)Math.Ceiling(wait.TotalMilliseconds);
        return ms % 1000 == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{ms / 1000}s")
            : string.Create(CultureInfo.InvariantCulture, $"{ms}ms");
    }

    private static long ParseIndex(HttpResponseMessage response)
    {
        if (response.Headers.TryGetValues(ConsulConstants.IndexHeader, out var values)
            && long.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            && index >= 0)
        {
            return index;
        }

        return 0;
    }

    private static async Task<byte[]> ReadBoundedAsync(HttpContent content, long limit, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength is { } length && length > limit)
        {
            throw TooLarge(limit);
        }

        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                throw TooLarge(limit);
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static ConsulQueryException TooLarge(long limit) =>
        new(ConsulErrorKind.TooLarge, string.Create(CultureInfo.InvariantCulture, $"Consul answer exceeds {limit} bytes"));

    /// <summary>Sends the ACL token as a header (never in the URL, so it cannot reach a log line).</summary>
    internal static void AddToken(HttpRequestMessage request, ConsulOptions options)
    {
        if (!string.IsNullOrEmpty(options.Token))
        {
            request.Headers.TryAddWithoutValidation(ConsulConstants.TokenHeader, options.Token);
        }
    }

    /// <summary>The handler every client of the Consul agent uses: no proxy, no redirects, no decompression.</summary>
    internal static SocketsHttpHandler CreateHandler() => new()
    {
        ConnectTimeout = ConsulConstants.ConnectTimeout,
        PooledConnectionLifetime = TimeSpan.FromMinutes(15),
        UseProxy = false,
        AutomaticDecompression = DecompressionMethods.None,
        AllowAutoRedirect = false,
    };

    public void Dispose() => _httpClient.Dispose();
}
