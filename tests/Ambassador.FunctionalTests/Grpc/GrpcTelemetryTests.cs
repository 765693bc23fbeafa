using System.Diagnostics;
using System.Text.Json;
using Ambassador.FunctionalTests.Infrastructure;
using Ambassador.FunctionalTests.Telemetry;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using static Ambassador.FunctionalTests.Telemetry.TelemetryTestSupport;

namespace Ambassador.FunctionalTests.Grpc;

/// <summary>gRPC calls in Ambassador's telemetry: RPC span attributes, the gRPC status in metrics and the access log.</summary>
public sealed class GrpcTelemetryTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task GrpcCalls_SpanMetricsAndAccessLog_CarryTheGrpcStatus()
    {
        await using var upstream = await GrpcUpstream.StartAsync();
        var route = UniqueId("grpc");
        var settings = GrpcUpstream.Settings([upstream]).ToDictionary(
            kv => kv.Key.Replace("ReverseProxy:Routes:grpc:", $"ReverseProxy:Routes:{route}:", StringComparison.Ordinal), kv => kv.Value);
        settings["Ambassador:AccessLog:Enabled"] = "true";
        var spans = new SpanCollection();
        var output = new CapturingStream();
        await using var amb = await TestAmbassador.StartAsync(settings, CaptureSpans(spans, b => b.Services.AddSingleton(output.Sink)));
        // Like an app in its own process: this process's HttpClient spans (ActivityListeners are process-wide) must not
        // hand Ambassador an unsampled parent.
        using var channel = GrpcUpstream.Channel(amb.ProxyAddress, new SocketsHttpHandler { ActivityHeadersPropagator = null });
        var client = new Echo.EchoClient(channel);

        await client.UnaryAsync(new EchoRequest { Text = "ok" });
        await client.UnaryAsync(new EchoRequest { Text = "ok" });
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            client.UnaryAsync(new EchoRequest { Text = "missing", FailCode = (int)StatusCode.NotFound }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        using var stream = client.ServerStream(new StreamRequest { Count = 2, FailCode = (int)StatusCode.Aborted });
        await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var _ in stream.ResponseStream.ReadAllAsync())
            {
            }
        });

        // Metrics: one series per gRPC status, all HTTP 200.
        var metrics = string.Empty;
        await Poll.UntilAsync(async () =>
        {
            metrics = await amb.AdminClient.GetStringAsync("/metrics");
            return Samples(metrics, "ambassador_requests_total").Where(s => s.Labels.GetValueOrDefault("route") == route).Sum(s => s.Value) == 4;
        }, Deadline, "/metrics counts the four calls");
        Assert.Equal(2, Value(metrics, "ambassador_requests_total", ("route", route), ("status_class", "2xx"), ("grpc_status", "0")));
        Assert.Equal(1, Value(metrics, "ambassador_requests_total", ("route", route), ("status_class", "2xx"), ("grpc_status", "5")));
        Assert.Equal(1, Value(metrics, "ambassador_requests_total", ("route", route), ("status_class", "2xx"), ("grpc_status", "10")));

        // Access log: the status of each call, from the headers (trailers-only) or the trailers (after messages).
        await Poll.UntilAsync(() => output.Lines.Count >= 4, Deadline, "four access log lines");
        var logged = output.Lines.Select(l => JsonDocument.Parse(l).RootElement).Select(e => e.GetProperty("grpc_status").GetInt32()).Order().ToList();
        Assert.Equal([0, 0, 5, 10], logged);

        // Spans: the OpenTelemetry RPC attributes on the server span.
        Activity? notFound = null;
        await Poll.UntilAsync(() => (notFound = spans.Snapshot().FirstOrDefault(s =>
                s.Kind == ActivityKind.Server && s.GetTagItem("rpc.grpc.status_code") is 5)) is not null,
            Deadline, "the NotFound call's server span is exported");
        Assert.Equal("grpc", notFound!.GetTagItem("rpc.system"));
        Assert.Equal("ambassador.test.Echo", notFound.GetTagItem("rpc.service"));
        Assert.Equal("Unary", notFound.GetTagItem("rpc.method"));
        await Poll.UntilAsync(() => spans.Snapshot().Any(s => s.Kind == ActivityKind.Server && (string?)s.GetTagItem("rpc.method") == "ServerStream"
            && s.GetTagItem("rpc.grpc.status_code") is 10), Deadline, "the stream's server span carries the status from its trailers");
    }
}
