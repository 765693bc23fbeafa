using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace Ambassador.Telemetry;

/// <summary>Where access log lines go: stdout in production, a capturing stream in tests.</summary>
internal sealed class AccessLogSink(Stream stream)
{
    /// <summary>The stream lines are written to (never disposed by Ambassador: it is usually stdout).</summary>
    public Stream Stream { get; } = stream;
}

/// <summary>One finished request, as the access log records it.</summary>
internal readonly record struct AccessLogEntry(
    DateTimeOffset Timestamp,
    string? TraceId,
    string Method,
    string Path,
    string? Query,
    string? Route,
    string? Cluster,
    string? Destination,
    int Status,
    TimeSpan Duration,
    int Attempts,
    string? Error,
    int? GrpcStatus = null);

/// <summary>
/// The structured access log: one JSON object per line on stdout. Lines are formatted on the request thread with a
/// reused <see cref="Utf8JsonWriter"/> (no reflection, no per-line writer) and handed to one background pump that
/// writes whole lines in batches, so a slow stdout never blocks a request. When the queue is full lines are dropped
/// and counted rather than slowing the proxy down.
/// </summary>
internal sealed partial class AccessLogWriter : IAsyncDisposable
{
    /// <summary>Lines that may wait for the pump before new ones are dropped.</summary>
    public const int QueueCapacity = 10_000;

    private const int BatchBytes = 64 * 1024;

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Relaxed escaping keeps paths readable; control characters are still escaped, so a line stays one line.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    private readonly Channel<Line> _queue = Channel.CreateBounded<Line>(new BoundedChannelOptions(QueueCapacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly Stream _output;
    private readonly ILogger<AccessLogWriter> _logger;
    private readonly IDisposable? _subscription;
    private readonly Task _pump;
    private int _dropReported;
    private volatile bool _enabled;
    private volatile bool _includeQuery;

    public AccessLogWriter(IOptionsMonitor<AccessLogOptions> options, AccessLogSink sink, ILogger<AccessLogWriter> logger)
    {
        _output = sink.Stream;
        _logger = logger;
        Apply(options.CurrentValue);
        _subscription = options.OnChange(Apply);
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>True when access logging is on; read on every request, so it is a plain field.</summary>
    public bool Enabled => _enabled;

    /// <summary>True when the query string is logged.</summary>
    public bool IncludeQuery => _includeQuery;

    /// <summary>Formats <paramref name="entry"/> and queues it for stdout. Never blocks.</summary>
    public void Write(in AccessLogEntry entry)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(512);
        buffer.ResetWrittenCount();
        var json = t_writer;
        if (json is null)
        {
            json = t_writer = new Utf8JsonWriter(buffer, WriterOptions);
        }
        else
        {
            json.Reset(buffer);
        }

        json.WriteStartObject();
        json.WriteString("timestamp"u8, entry.Timestamp.UtcDateTime);
        WriteStringOrNull(json, "trace_id"u8, entry.TraceId);
        json.WriteString("method"u8, entry.Method);
        json.WriteString("path"u8, entry.Path);
        if (entry.Query is not null)
        {
            json.WriteString("query"u8, entry.Query);
        }

        WriteStringOrNull(json, "route"u8, entry.Route);
        WriteStringOrNull(json, "cluster"u8, entry.Cluster);
        WriteStringOrNull(json, "destination"u8, entry.Destination);
        json.WriteNumber("status"u8, entry.Status);
        json.WriteNumber("duration_ms"u8, Math.Round(entry.Duration.TotalMilliseconds, 3));
        json.WriteNumber("attempts"u8, entry.Attempts);
        WriteStringOrNull(json, "error"u8, entry.Error);
        if (entry.GrpcStatus is { } grpcStatus)
        {
            json.WriteNumber("grpc_status"u8, grpcStatus);
        }

        json.WriteEndObject();
        json.Flush();
        buffer.Write("\n"u8);

        var length = buffer.WrittenCount;
        var bytes = ArrayPool<byte>.Shared.Rent(length);
        buffer.WrittenSpan.CopyTo(bytes);
        if (!_queue.Writer.TryWrite(new Line(bytes, length)))
        {
            ArrayPool<byte>.Shared.Return(bytes);
            // Said once: a warning per dropped line would add to the very output that cannot keep up.
            if (Interlocked.Exchange(ref _dropReported, 1) == 0)
            {
                LogLinesDropped(_logger, QueueCapacity);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _subscription?.Dispose();
        _queue.Writer.TryComplete();
        try
        {
            // Whatever was queued before shutdown still reaches stdout, within a bound.
            await _pump.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
    }

    private static void WriteStringOrNull(Utf8JsonWriter json, ReadOnlySpan<byte> name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    private void Apply(AccessLogOptions options)
    {
        _includeQuery = options.IncludeQuery;
        _enabled = options.Enabled;
    }

    private async Task PumpAsync()
    {
        var reader = _queue.Reader;
        var batch = new byte[BatchBytes];
        var used = 0;
        var failed = false;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var line))
            {
                if (!failed)
                {
                    // Only whole lines are written, so lines never interleave with other stdout writers mid-line.
                    if (used + line.Length > batch.Length)
                    {
                        failed = !await WriteAsync(batch.AsMemory(0, used)).ConfigureAwait(false);
                        used = 0;
                    }

                    if (line.Length > batch.Length)
                    {
                        failed = failed || !await WriteAsync(line.Bytes.AsMemory(0, line.Length)).ConfigureAwait(false);
                    }
                    else
                    {
                        line.Bytes.AsSpan(0, line.Length).CopyTo(batch.AsSpan(used));
                        used += line.Length;
                    }
                }

                ArrayPool<byte>.Shared.Return(line.Bytes);
            }

            if (!failed && used > 0)
            {
                failed = !await WriteAsync(batch.AsMemory(0, used)).ConfigureAwait(false);
                used = 0;
            }
        }
    }

    private async Task<bool> WriteAsync(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            await _output.WriteAsync(bytes).ConfigureAwait(false);
            await _output.FlushAsync().ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or NotSupportedException)
        {
            // stdout closed (a broken pipe): stop writing, keep proxying.
            LogOutputFailed(_logger, ex);
            return false;
        }
    }

    private readonly record struct Line(byte[] Bytes, int Length);
}
