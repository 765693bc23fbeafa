using Ambassador.Policies;
using Ambassador.Policies.LoadBalancing;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Ambassador.Hosting;

/// <summary>Turns YARP's bare error statuses into Ambassador's problem responses, and counts attempts per destination.</summary>
internal static class ProxyErrorsMiddleware
{
    /// <summary>Outermost proxy-pipeline step: writes a problem body for any error the forwarder or a policy left without one.</summary>
    public static async Task HandleErrorsAsync(HttpContext context, RequestDelegate next)
    {
        var proxy = context.GetReverseProxyFeature();
        if (proxy.AvailableDestinations.Count == 0)
        {
            var cluster = proxy.Cluster.Config.ClusterId;
            await ProxyProblem.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, ProxyProblem.NoHealthyDestination,
                $"Cluster '{cluster}' (route '{proxy.Route.Config.RouteId}') has no resolved or healthy destination.").ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);

        if (context.Response.HasStarted || context.Response.Headers.ContainsKey(ProxyProblem.ErrorHeader))
        {
            return;
        }

        var error = context.Features.Get<IForwarderErrorFeature>();
        if (error is null)
        {
            return;
        }

        var route = proxy.Route.Config.RouteId;
        var clusterId = proxy.Cluster.Config.ClusterId;
        switch (error.Error)
        {
            case ForwarderError.NoAvailableDestinations:
                await ProxyProblem.WriteAsync(context, 503, ProxyProblem.NoHealthyDestination,
                    $"Cluster '{clusterId}' (route '{route}') has no resolved or healthy destination.").ConfigureAwait(false);
                break;
            case ForwarderError.RequestTimedOut:
                await ProxyProblem.WriteAsync(context, 504, ProxyProblem.UpstreamTimeout,
                    $"Cluster '{clusterId}' (route '{route}') did not answer in time.").ConfigureAwait(false);
                break;
            case ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled:
                // The client went away; nobody reads the answer.
                break;
            case ForwarderError.RequestBodyClient when context.Response.StatusCode == 413:
                await ProxyProblem.WriteAsync(context, 413, ProxyProblem.BodyTooLarge,
                    $"The request body is larger than the limit of route '{route}'.").ConfigureAwait(false);
                break;
            case ForwarderError.RequestBodyClient:
                await ProxyProblem.WriteAsync(context, 400, ProxyProblem.BadRequest,
                    $"The request body could not be read (route '{route}').").ConfigureAwait(false);
                break;
            default:
                await ProxyProblem.WriteAsync(context, 502, ProxyProblem.UpstreamUnavailable,
                    $"Cluster '{clusterId}' (route '{route}'): the upstream could not be reached or failed ({error.Error}).").ConfigureAwait(false);
                break;
        }
    }

    /// <summary>Innermost proxy-pipeline step: records each upstream attempt against its destination.</summary>
    public static async Task RecordAttemptAsync(HttpContext context, RequestDelegate next, DestinationStatsRegistry stats, AttemptLatencyRecorder latency)
    {
        context.Features.Get<Telemetry.RequestTelemetryFeature>()?.OnAttemptStarted(); // telemetry: attempts per request (span + access log)
        var started = latency.Start(context); // traffic control: PeakEwma's latency sample
        await next(context).ConfigureAwait(false);
        latency.Complete(context, started);
        var proxy = context.GetReverseProxyFeature();
        if (proxy.ProxiedDestination is not DestinationState destination)
        {
            return;
        }

        var failed = context.Features.Get<IForwarderErrorFeature>() is not null || context.Response.StatusCode >= 500;
        stats.RecordAttempt(proxy.Cluster.Config.ClusterId, destination.DestinationId, failed);
    }
}
