using Ambassador.Policies;
using Ambassador.Policies.LoadBalancing;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Ambassador.Telemetry;

/// <summary>
/// The innermost proxy step, right before the forwarder: counts each upstream attempt on the request's telemetry (span
/// and access log attempt numbers) and records its result against its destination (<c>/admin/clusters</c>).
/// </summary>
internal sealed class AttemptRecordingMiddleware(RequestDelegate next, DestinationStatsRegistry stats, AttemptLatencyRecorder latency)
{
    public async Task InvokeAsync(HttpContext context)
    {
        context.Features.Get<RequestTelemetryFeature>()?.OnAttemptStarted();
        var proxy = context.GetReverseProxyFeature();
        var started = latency.Start(context, proxy); // traffic control: PeakEwma's latency sample
        await next(context).ConfigureAwait(false);
        latency.Complete(context, started);
        if (proxy.ProxiedDestination is not DestinationState destination)
        {
            return;
        }

        var failed = context.Features.Get<IForwarderErrorFeature>() is not null || context.Response.StatusCode >= 500
            || Policies.Grpc.GrpcProtocol.IsUnavailableAnswer(context);
        stats.RecordAttempt(proxy.Cluster.Config.ClusterId, destination.DestinationId, failed);
        if (failed)
        {
            // One throttled line per destination and failure kind, instead of YARP's per-attempt warning.
            Logging.UpstreamFailureLog.OnAttemptEnded(context, proxy.Cluster.Config.ClusterId, destination);
        }
    }
}
