using System.Text;
using System.Text.Json;
using Ambassador.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Ambassador.Tests.Telemetry;

public sealed class AccessLogWriterTests
{
    [Fact]
    public async Task Write_ControlCharactersInPath_StayOnOneEscapedLine()
    {
        var output = new MemoryStream();
        var writer = new AccessLogWriter(new StaticOptions(new AccessLogOptions { Enabled = true }), new AccessLogSink(output), NullLogger<AccessLogWriter>.Instance);

        writer.Write(Entry("/a\nb\"c\u001b"));
        writer.Write(Entry("/second"));
        await writer.DisposeAsync(); // drains the queue

        var lines = Encoding.UTF8.GetString(output.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal("/a\nb\"c\u001b", JsonDocument.Parse(lines[0]).RootElement.GetProperty("path").GetString());
        Assert.Equal("/second", JsonDocument.Parse(lines[1]).RootElement.GetProperty("path").GetString());
    }

    [Fact]
    public async Task Write_Entry_HasDocumentedFieldsAndValues()
    {
        var output = new MemoryStream();
        var writer = new AccessLogWriter(new StaticOptions(new AccessLogOptions { Enabled = true }), new AccessLogSink(output), NullLogger<AccessLogWriter>.Instance);

        writer.Write(Entry("/p") with { Query = "?q=1", Error = "upstream-timeout", Status = 504, Attempts = 3 });
        await writer.DisposeAsync();

        var line = Encoding.UTF8.GetString(output.ToArray());
        Assert.Equal(
            """{"timestamp":"2026-11-26T05:40:22.123Z","trace_id":"0af7651916cd43dd8448eb211c80319c","method":"GET","path":"/p","query":"?q=1","route":"r","cluster":"c","destination":"d1","status":504,"duration_ms":12.346,"attempts":3,"error":"upstream-timeout"}""" + "\n",
            line);
    }

    [Fact]
    public async Task Write_GrpcCall_AddsGrpcStatusAfterError()
    {
        var output = new MemoryStream();
        var writer = new AccessLogWriter(new StaticOptions(new AccessLogOptions { Enabled = true }), new AccessLogSink(output), NullLogger<AccessLogWriter>.Instance);

        writer.Write(Entry("/pkg.Svc/Get") with { Method = "POST", GrpcStatus = 14 });
        await writer.DisposeAsync();

        var line = Encoding.UTF8.GetString(output.ToArray());
        Assert.EndsWith(""","attempts":1,"error":null,"grpc_status":14}""" + "\n", line, StringComparison.Ordinal);
    }

    private static AccessLogEntry Entry(string path) => new(
        new DateTimeOffset(2026, 11, 26, 5, 40, 22, 123, TimeSpan.Zero),
        "0af7651916cd43dd8448eb211c80319c",
        "GET",
        path,
        null,
        "r",
        "c",
        "d1",
        200,
        TimeSpan.FromTicks(123_456),
        1,
        null);

    private sealed class StaticOptions(AccessLogOptions value) : IOptionsMonitor<AccessLogOptions>
    {
        public AccessLogOptions CurrentValue => value;

        public AccessLogOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<AccessLogOptions, string?> listener) => null;
    }
}
