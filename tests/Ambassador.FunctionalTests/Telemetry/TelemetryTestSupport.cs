using System.Collections;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Ambassador.FunctionalTests.Infrastructure;
using Ambassador.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Ambassador.FunctionalTests.Telemetry;

/// <summary>Helpers shared by the telemetry tests.</summary>
internal static class TelemetryTestSupport
{
    /// <summary>
    /// A configuration with one route (<paramref name="routeId"/>, path <c>/api/{**rest}</c>) to one cluster with one
    /// destination <c>d1</c>. Ids are unique per test because ActivityListeners and MeterListeners are process-wide and
    /// other hosts run in parallel in the same test process.
    /// </summary>
    public static Dictionary<string, string?> Config(string routeId, string clusterId, string upstream, string path = "/api/{**rest}") => new()
    {
        [$"ReverseProxy:Routes:{routeId}:ClusterId"] = clusterId,
        [$"ReverseProxy:Routes:{routeId}:Match:Path"] = path,
        [$"ReverseProxy:Clusters:{clusterId}:Destinations:d1:Address"] = upstream,
    };

    public static string UniqueId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    public static WireMockServer StartUpstream(string body = "upstream")
    {
        var server = WireMockServer.Start();
        server.Given(Request.Create().UsingAnyMethod()).RespondWith(Response.Create().WithStatusCode(200).WithBody(body));
        return server;
    }

    /// <summary>Adds an in-memory span exporter to the host under test (through the same builder the host uses).</summary>
    public static Action<WebApplicationBuilder> CaptureSpans(SpanCollection spans, Action<WebApplicationBuilder>? more = null) => builder =>
    {
        builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans));
        more?.Invoke(builder);
    };

    /// <summary>
    /// A client for the proxy listener that sends headers exactly as given. The test process's own HttpClient would
    /// otherwise start a span of its own (ActivityListeners are process-wide) and overwrite the test's traceparent.
    /// </summary>
    public static HttpClient RawClient(Uri baseAddress) =>
        new(new SocketsHttpHandler { ActivityHeadersPropagator = null, UseProxy = false }) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };

    public static string Traceparent(ActivityTraceId traceId, ActivitySpanId parentId, bool sampled = true) =>
        $"00-{traceId.ToHexString()}-{parentId.ToHexString()}-{(sampled ? "01" : "00")}";

    /// <summary>Samples of one metric family: (labels, value) per line, from the Prometheus text format.</summary>
    public static List<(Dictionary<string, string> Labels, double Value)> Samples(string exposition, string name)
    {
        var result = new List<(Dictionary<string, string>, double)>();
        foreach (var raw in exposition.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (!line.StartsWith(name, StringComparison.Ordinal) || line.Length == name.Length || (line[name.Length] != '{' && line[name.Length] != ' '))
            {
                continue;
            }

            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            var rest = line[name.Length..];
            if (rest.StartsWith('{'))
            {
                var end = rest.IndexOf('}', StringComparison.Ordinal);
                foreach (var pair in rest[1..end].Split("\",", StringSplitOptions.RemoveEmptyEntries))
                {
                    var eq = pair.IndexOf('=', StringComparison.Ordinal);
                    labels[pair[..eq]] = pair[(eq + 1)..].Trim('"');
                }

                rest = rest[(end + 1)..];
            }

            var value = rest.Trim().Split(' ')[0];
            result.Add((labels, double.Parse(value, CultureInfo.InvariantCulture)));
        }

        return result;
    }

    public static double? Value(string exposition, string name, params (string Key, string Value)[] labels)
    {
        foreach (var (sampleLabels, value) in Samples(exposition, name))
        {
            if (labels.All(l => sampleLabels.TryGetValue(l.Key, out var v) && v == l.Value))
            {
                return value;
            }
        }

        return null;
    }
}

/// <summary>A thread-safe collection the in-memory exporter appends to while the test reads.</summary>
public sealed class SpanCollection : ICollection<Activity>
{
    private readonly List<Activity> _items = [];
    private readonly Lock _lock = new();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _items.Count;
            }
        }
    }

    public bool IsReadOnly => false;

    public List<Activity> Snapshot()
    {
        lock (_lock)
        {
            return [.. _items];
        }
    }

    public List<Activity> ForTrace(ActivityTraceId traceId) => Snapshot().Where(a => a.TraceId == traceId).ToList();

    public void Add(Activity item)
    {
        lock (_lock)
        {
            _items.Add(item);
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _items.Clear();
        }
    }

    public bool Contains(Activity item) => Snapshot().Contains(item);

    public void CopyTo(Activity[] array, int arrayIndex) => Snapshot().CopyTo(array, arrayIndex);

    public bool Remove(Activity item)
    {
        lock (_lock)
        {
            return _items.Remove(item);
        }
    }

    public IEnumerator<Activity> GetEnumerator() => Snapshot().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>A write-only stream that collects what the access log writes, line by line.</summary>
public sealed class CapturingStream : Stream
{
    private readonly StringBuilder _text = new();
    private readonly Lock _lock = new();

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public string Text
    {
        get
        {
            lock (_lock)
            {
                return _text.ToString();
            }
        }
    }

    /// <summary>Complete lines written so far.</summary>
    public List<string> Lines
    {
        get
        {
            var text = Text;
            var end = text.LastIndexOf('\n');
            return end < 0 ? [] : text[..end].Split('\n').ToList();
        }
    }

    internal AccessLogSink Sink => new(this);

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        var text = Encoding.UTF8.GetString(buffer);
        lock (_lock)
        {
            _text.Append(text);
        }
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }
}
