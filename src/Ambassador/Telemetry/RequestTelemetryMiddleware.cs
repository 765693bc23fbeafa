using System.Diagnostics;
using Ambassador.Hosting;
using Yarp.ReverseProxy.Model;

namespace Ambassador.Telemetry;

/// <summary>
/// Outermost middleware for requests on the proxy listeners: records <c>ambassador.requests</c> and
/// <c>ambassador.request.duration</c> from YARP's <see cref="IReverseProxyFeature"/> once the response is done, tags the
/// server span with route, cluster and attempts, and writes the access log line. Being outermost, it also sees the
/// answers Ambassador gives before routing (400 ambiguous framing, 404 no-route) for the access log.
/// Admin-listener requests pass straight through, their server span unrecorded.
/// </summary>
internal sealed class RequestTelemetryMiddleware(
    RequestDelegate next,
    ListenerRegistry listeners,
    ProxyMetrics metrics,
    AccessLogWriter accessLog,
    TimeProvider time)
{
    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");

    public Task InvokeAsync(HttpContext context)
    {
        if (listeners.IsAdmin(context))
        {
            ExcludeFromTrace(Activity.Current);
            return next(context);
        }

        return InvokeProxyAsync(context);
    }

    /// <summary>
    /// /healthz, /readyz, /metrics and /admin/* are never traced. ASP.NET Core's server activity exists before any
    /// middleware runs (and a sampler cannot tell the listener), so the admin listener's is unrecorded here, at its
    /// first step: the SDK then never ends it into an exporter.
    /// </summary>
    private static void ExcludeFromTrace(Activity? activity)
    {
        if (activity is { IsAllDataRequested: true })
        {
            activity.IsAllDataRequested = false;
            activity.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
        }
    }

    private Task InvokeProxyAsync(HttpContext context)
    {
        var start = time.GetTimestamp();
        var activity = Activity.Current;
        if (activity is null && CallerTraceId(context.Request) is null)
        {
            // No span is made (no exporter), so nothing would propagate a trace context: the upstream still gets a valid
            // W3C one, unsampled, as it did when unsampled activities were made. A caller's valid traceparent is
            // forwarded unchanged by YARP; an invalid one is replaced. One string per such request, no Activity.
            context.Request.Headers.TraceParent = NewTraceparent();
        }

        var recorded = activity is { IsAllDataRequested: true };
        var logging = accessLog.Enabled;
        if (!recorded && !logging)
        {
            // Only the metrics read this request, and only once it is over: they are recorded when the response has
            // completed, so the request has no async frame here. Kestrel answers 500 to an exception that escapes the
            // pipeline before that, which is the status recorded.
            if (metrics.Enabled)
            {
                context.Response.OnCompleted(static state => ((Completion)state).Run(), new Completion(this, context, start));
            }

            return next(context);
        }

        return InvokeObservedAsync(context, start, activity, recorded, logging);
    }

    /// <summary>A request a recorded span or the access log follows: both read its attempts and the exception.</summary>
    private async Task InvokeObservedAsync(HttpContext context, long start, Activity? activity, bool recorded, bool logging)
    {
        var feature = new RequestTelemetryFeature(context, logging ? time.GetUtcNow() : default);
        context.Features.Set(feature);
        if (recorded)
        {
            activity!.SetCustomProperty(RequestTelemetryFeature.ActivityPropertyName, feature);
        }

        Exception? thrown = null;
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            thrown = exception;
            throw;
        }
        finally
        {
            Complete(context, start, activity, recorded, logging ? feature : null, recorded ? feature : null, thrown);
        }
    }

    /// <summary>What the metrics of a request nobody else follows need once its response has completed.</summary>
    private sealed class Completion(RequestTelemetryMiddleware owner, HttpContext context, long start)
    {
        public Task Run()
        {
            owner.Complete(context, start, activity: null, recorded: false, logged: null, traced: null, thrown: null);
            return Task.CompletedTask;
        }
    }

    /// <summary>
    /// The trace id of a valid W3C <c>traceparent</c> the caller sent, for the access log when no span was made (no
    /// exporter): the line still joins the caller's trace.
    /// </summary>
    internal static string? CallerTraceId(HttpRequest request)
    {
        var header = request.Headers.TraceParent;
        if (header.Count != 1 || header[0] is not { Length: 55 } value || value[2] != '-' || value[35] != '-' || value[52] != '-')
        {
            return null;
        }

        var traceId = value.AsSpan(3, 32);
        return traceId.ContainsAnyExcept(LowerHex) || !traceId.ContainsAnyExcept('0') ? null : traceId.ToString();
    }

    /// <summary>A fresh, unsampled W3C <c>traceparent</c>: random non-zero trace and parent ids, flags 00.</summary>
    internal static string NewTraceparent()
    {
        Span<byte> ids = stackalloc byte[24];
        do
        {
            Random.Shared.NextBytes(ids);
        }
        while (!ids[..16].ContainsAnyExcept((byte)0) || !ids[16..].ContainsAnyExcept((byte)0));

        Span<char> header = stackalloc char[55];
        "00-".CopyTo(header);
        Convert.TryToHexStringLower(ids[..16], header[3..35], out _);
        header[35] = '-';
        Convert.TryToHexStringLower(ids[16..], header[36..52], out _);
        "-00".CopyTo(header[52..]);
        return new string(header);
    }

    private void Complete(HttpContext context, long start, Activity? activity, bool recorded, RequestTelemetryFeature? logged, RequestTelemetryFeature? traced, Exception? thrown)
    {
        var threw = thrown is not null;
        var elapsed = time.GetElapsedTime(start);
        var status = threw && !context.Response.HasStarted ? StatusCodes.Status500InternalServerError : context.Response.StatusCode;
        var proxy = context.Features.Get<IReverseProxyFeature>();
        var route = proxy?.Route.Config.RouteId;
        var cluster = proxy?.Cluster?.Config.ClusterId ?? proxy?.Route.Cluster?.ClusterId;
        var grpcStatus = GrpcTelemetry.StatusOf(context, out var grpc);

        // Requests no route matched are not counted here (no bounded label to give them); ASP.NET Core's
        // http.server.request.duration still counts them.
        if (route is not null && metrics.Enabled)
        {
            metrics.Record(route, cluster ?? string.Empty, status, elapsed, grpc ? GrpcTelemetry.Label(grpcStatus) : null);
        }

        if (recorded)
        {
            HttpServerSpan.Tag(activity!, context, status, thrown);
        }

        if (recorded && route is not null)
        {
            activity!.SetTag(TelemetryConstants.RouteIdAttribute, route);
            activity.SetTag(TelemetryConstants.ClusterIdAttribute, cluster);
            if (traced is not null)
            {
                activity.SetTag(TelemetryConstants.AttemptAttribute, traced.Attempts);
            }

            if (context.Response.Headers.TryGetValue(ProxyProblem.ErrorHeader, out var reason))
            {
                activity.SetTag(TelemetryConstants.ErrorReasonAttribute, reason.ToString());
            }

            if (grpc)
            {
                GrpcTelemetry.TagSpan(activity, context.Request, grpcStatus);
            }
        }

        // Decided at the start of the request, so a reload that turns the log on mid-request cannot log a half-filled entry.
        if (logged is not null)
        {
            var request = context.Request;
            var error = context.Response.Headers.TryGetValue(ProxyProblem.ErrorHeader, out var value) ? value.ToString() : null;
            var traceId = activity is not null && activity.TraceId != default ? activity.TraceId.ToHexString() : CallerTraceId(request);
            accessLog.Write(new AccessLogEntry(
                logged.StartTime,
                traceId,
                request.Method,
                request.PathBase.HasValue ? request.PathBase.Add(request.Path).ToString() : request.Path.ToString(),
                accessLog.IncludeQuery && request.QueryString.HasValue ? request.QueryString.Value : null,
                route,
                cluster,
                proxy?.ProxiedDestination?.DestinationId,
                status,
                elapsed,
                logged.Attempts,
                error,
                grpcStatus));
        }
    }
}
