using System.Globalization;
using Ambassador.Policies.Grpc;
using Ambassador.Policies.Limits;
using Ambassador.Policies.Proxy;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Ambassador.Hosting;

/// <summary>
/// The error-mapping step of the proxy pipeline and the one place that words every answer Ambassador makes itself:
/// a failure named by a later step (<see cref="ProxyFailureFeature"/>) or left by YARP's forwarder
/// (<see cref="IForwarderErrorFeature"/>) becomes its problem response, written by <see cref="ProxyProblem"/>.
/// Steps before routing (request guards, the no-route fallback) use <see cref="WriteAsync"/> for the same wording.
/// </summary>
internal sealed class ProxyErrorsMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var proxy = context.GetReverseProxyFeature();
        return proxy.AvailableDestinations.Count == 0
            ? WriteAsync(context, ProxyFailure.NoHealthyDestination)
            : InvokeNextAsync(context);
    }

    /// <summary>Writes the answer for <paramref name="failure"/>, unless the response has already started.</summary>
    public static Task WriteAsync(HttpContext context, ProxyFailure failure)
    {
        var proxy = context.Features.Get<IReverseProxyFeature>();
        var route = proxy?.Route.Config.RouteId;
        var cluster = proxy?.Cluster?.Config.ClusterId ?? proxy?.Route.Cluster?.ClusterId;
        return failure switch
        {
            ProxyFailure.NoRoute => ProxyProblem.WriteAsync(context, StatusCodes.Status404NotFound, ProxyProblem.NoRoute,
                $"No route matches {context.Request.Method} {context.Request.Path}."),
            ProxyFailure.AmbiguousFraming => ProxyProblem.WriteAsync(context, StatusCodes.Status400BadRequest, ProxyProblem.BadRequest,
                "The request carries both Content-Length and Transfer-Encoding; it was not forwarded."),
            ProxyFailure.InvalidContentLength => ProxyProblem.WriteAsync(context, StatusCodes.Status400BadRequest, ProxyProblem.BadRequest,
                "The request's Content-Length is not a single decimal number; it was not forwarded."),
            ProxyFailure.BareLineFeed => ProxyProblem.WriteAsync(context, StatusCodes.Status400BadRequest, ProxyProblem.BadRequest,
                "A line of the request head ends with LF without CR; it was not forwarded."),
            ProxyFailure.TransferEncodingInHttp10 => ProxyProblem.WriteAsync(context, StatusCodes.Status400BadRequest, ProxyProblem.BadRequest,
                "An HTTP/1.0 request carries Transfer-Encoding; it was not forwarded."),
            ProxyFailure.BadRequestBody => ProxyProblem.WriteAsync(context, StatusCodes.Status400BadRequest, ProxyProblem.BadRequest,
                $"The request body could not be read (route '{route}')."),
            ProxyFailure.BodyTooLarge => ProxyProblem.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, ProxyProblem.BodyTooLarge,
                $"The request body is larger than the limit of route '{route}'."),
            ProxyFailure.NoHealthyDestination => ProxyProblem.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, ProxyProblem.NoHealthyDestination,
                $"Cluster '{cluster}' (route '{route}') has no resolved or healthy destination."),
            ProxyFailure.CircuitOpen => ProxyProblem.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, ProxyProblem.CircuitOpen,
                $"Cluster '{cluster}' (route '{route}'): every destination's circuit breaker is open."),
            ProxyFailure.UpstreamTimeout => ProxyProblem.WriteAsync(context, StatusCodes.Status504GatewayTimeout, ProxyProblem.UpstreamTimeout,
                $"Cluster '{cluster}' (route '{route}') did not answer in time."),
            ProxyFailure.UpstreamUnavailable => ProxyProblem.WriteAsync(context, StatusCodes.Status502BadGateway, ProxyProblem.UpstreamUnavailable,
                $"Cluster '{cluster}' (route '{route}'): the upstream could not be reached or failed ({context.Features.Get<IForwarderErrorFeature>()?.Error})."),
            ProxyFailure.InvalidGrpcTimeout => ProxyProblem.WriteAsync(context, StatusCodes.Status400BadRequest, ProxyProblem.BadRequest,
                "The request's grpc-timeout is not a gRPC timeout (1 to 8 digits and a unit H, M, S, m, u or n, e.g. 500m); it was not forwarded."),
            ProxyFailure.Overloaded or ProxyFailure.OverloadedQueueTimeout => WriteOverloadedAsync(context, failure, cluster, route),
            _ => Task.CompletedTask,
        };
    }

    private static Task WriteOverloadedAsync(HttpContext context, ProxyFailure failure, string? cluster, string? route)
    {
        // The limits that turned the request away are the ones its cluster's limiter was built with.
        var limits = cluster is null ? null : context.RequestServices.GetService<ClusterLimiterRegistry>()?.Find(cluster)?.Options;
        limits ??= new LimitsPolicyOptions();
        var detail = failure == ProxyFailure.OverloadedQueueTimeout
            ? string.Create(CultureInfo.InvariantCulture,
                $"Cluster '{cluster}' (route '{route}') is overloaded: the request waited longer than Limits:QueueTimeout ({limits.QueueTimeout:c}) for one of Limits:MaxConcurrentRequests ({limits.MaxConcurrentRequests}).")
            : string.Create(CultureInfo.InvariantCulture,
                $"Cluster '{cluster}' (route '{route}') is overloaded: Limits:MaxConcurrentRequests ({limits.MaxConcurrentRequests}) in flight and Limits:MaxQueuedRequests ({limits.MaxQueuedRequests}) queued.");
        return ProxyProblem.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, ProxyProblem.Overloaded, detail);
    }

    /// <summary>The failure a forwarder error stands for (<see cref="ProxyFailure.None"/> when the client went away).</summary>
    internal static ProxyFailure FailureOf(ForwarderError error, int statusCode, Exception? exception = null) => error switch
    {
        ForwarderError.NoAvailableDestinations => ProxyFailure.NoHealthyDestination,
        ForwarderError.RequestTimedOut => ProxyFailure.UpstreamTimeout,

        // The client went away; nobody reads the answer.
        ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled => ProxyFailure.None,
        ForwarderError.RequestBodyClient when statusCode == StatusCodes.Status413PayloadTooLarge || IsBodyTooLarge(exception) => ProxyFailure.BodyTooLarge,
        ForwarderError.RequestBodyClient => ProxyFailure.BadRequestBody,
        _ => ProxyFailure.UpstreamUnavailable,
    };

    /// <summary>
    /// Whether the server's body limit stopped the request body. YARP takes the 413 from that exception only when it is
    /// the body copy's own; it reports the copy's exception and the upstream call's together (an
    /// <see cref="AggregateException"/>), and when the limit's exception reached it through the other one (HttpClient's,
    /// whose body source threw) it answers 400. So both, and what they wrap, are read.
    /// </summary>
    private static bool IsBodyTooLarge(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge })
            {
                return true;
            }

            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    if (IsBodyTooLarge(inner))
                    {
                        return true;
                    }
                }

                return false;
            }
        }

        return false;
    }

    private async Task InvokeNextAsync(HttpContext context)
    {
        await next(context).ConfigureAwait(false);

        // Read once: the failure log and the answer below both need it.
        var error = context.Features.Get<IForwarderErrorFeature>();
        if (error is not null)
        {
            Logging.UpstreamFailureLog.OnRequestEnded(context, error);
        }

        if (context.Response.HasStarted)
        {
            // A gRPC stream stopped by its deadline at a message boundary ends with its status in the trailers (only a
            // gRPC call has that feature: the header check spares every other request the lookup).
            if (GrpcProtocol.IsGrpcRequest(context.Request) && context.Features.Get<GrpcStreamEnd>() is { Held: true } streamEnd)
            {
                await WriteAsync(context, context.Features.Get<ProxyFailureFeature>()?.Failure ?? ProxyFailure.UpstreamTimeout).ConfigureAwait(false);
                streamEnd.ResetHeld();
            }

            return;
        }

        var failure = context.Features.Get<ProxyFailureFeature>()?.Failure
            ?? (error is not null ? FailureOf(error.Error, context.Response.StatusCode, error.Exception) : ProxyFailure.None);
        if (failure != ProxyFailure.None)
        {
            await WriteAsync(context, failure).ConfigureAwait(false);
        }
    }
}
