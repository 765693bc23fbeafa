using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using Ambassador.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using static Ambassador.FunctionalTests.Telemetry.TelemetryTestSupport;

namespace Ambassador.FunctionalTests.Telemetry;

[Collection(IsolatedTracingGroup.Name)]
public sealed class OtlpExportTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task OtlpEndpointSet_HttpProtobuf_ExportsSpansToCollector()
    {
        await using var collector = await OtlpReceiver.StartAsync(HttpProtocols.Http1AndHttp2);
        await AssertExportedAsync(collector, "http/protobuf", "/v1/traces", "application/x-protobuf");
    }

    [Fact]
    public async Task OtlpEndpointSet_Grpc_ExportsSpansToCollector()
    {
        await using var collector = await OtlpReceiver.StartAsync(HttpProtocols.Http2);
        await AssertExportedAsync(collector, "grpc", OtlpReceiver.GrpcPath, "application/grpc");
    }

    private static async Task AssertExportedAsync(OtlpReceiver collector, string protocol, string path, string contentType)
    {
        using var upstream = StartUpstream();
        var serviceName = UniqueId("otlp-svc");
        var settings = Config(UniqueId("otlp"), UniqueId("cl"), upstream.Url!);
        settings["Ambassador:Telemetry:ServiceName"] = serviceName;
        await using var amb = await TestAmbassador.StartAsync(settings, builder => builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            // The standard OTEL_* variables, injected through configuration as the environment would.
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Address.ToString(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = protocol,
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
        }));
        using var http = RawClient(amb.ProxyAddress);

        var traceId = ActivityTraceId.CreateRandom();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/exported");
        request.Headers.Add("traceparent", Traceparent(traceId, ActivitySpanId.CreateRandom()));
        using var response = await http.SendAsync(request);
        Assert.Equal(200, (int)response.StatusCode);

        var traceBytes = new byte[16];
        traceId.CopyTo(traceBytes);
        await Poll.UntilAsync(() => collector.Requests.Any(r => r.Body.AsSpan().IndexOf(traceBytes) >= 0),
            Deadline, $"the collector receives a span of trace {traceId} over {protocol}");

        var export = collector.Requests.First(r => r.Body.AsSpan().IndexOf(traceBytes) >= 0);
        Assert.Equal(path, export.Path);
        Assert.StartsWith(contentType, export.ContentType, StringComparison.Ordinal);
        Assert.True(export.Body.AsSpan().IndexOf(Encoding.UTF8.GetBytes(serviceName)) >= 0, "the export carries service.name");
    }
}

/// <summary>A minimal OTLP trace receiver on loopback: accepts http/protobuf POST /v1/traces and the gRPC Export call.</summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    public const string GrpcPath = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Received> _requests = new();

    private OtlpReceiver(WebApplication app) => _app = app;

    public Uri Address { get; private set; } = null!;

    public IReadOnlyCollection<Received> Requests => _requests.ToArray();

    public static async Task<OtlpReceiver> StartAsync(HttpProtocols protocols)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = protocols));
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/traces", async (HttpContext context) =>
        {
            await receiver.RecordAsync(context);
            context.Response.ContentType = "application/x-protobuf";
        });
        app.MapPost(GrpcPath, async (HttpContext context) =>
        {
            await receiver.RecordAsync(context);
            context.Response.ContentType = "application/grpc";
            await context.Response.Body.WriteAsync(new byte[5]); // an empty, uncompressed ExportTraceServiceResponse
            context.Response.AppendTrailer("grpc-status", "0");
        });
        await app.StartAsync();
        var address = app.Urls.Single();
        receiver.Address = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task RecordAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        _requests.Enqueue(new Received(context.Request.Path, context.Request.ContentType ?? string.Empty, body.ToArray()));
    }

    internal sealed record Received(string Path, string ContentType, byte[] Body);
}
