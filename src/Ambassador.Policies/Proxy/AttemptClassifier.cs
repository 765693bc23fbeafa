using Ambassador.Policies.Grpc;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Ambassador.Policies.Proxy;

/// <summary>
/// How an attempt ended, read from what YARP's forwarder left on the context: the upstream's status, or the forwarder
/// error and its exception, or the deadline that cut it. This is what the retry rules and the breakers count.
/// </summary>
internal static class AttemptClassifier
{
    /// <param name="context">The request after the forwarder returned.</param>
    /// <param name="feature">The request's proxy feature (which destination was proxied, if any).</param>
    /// <param name="clientAborted">Whether the client gave up.</param>
    /// <param name="deadlineFired">Whether Total or PerTry cut the attempt.</param>
    /// <param name="grpc">Whether the request is a gRPC call (a trailers-only UNAVAILABLE counts like a 503).</param>
    public static AttemptResult Classify(HttpContext context, IReverseProxyFeature feature, bool clientAborted, bool deadlineFired, bool grpc)
    {
        var statusCode = context.Response.StatusCode;
        var error = context.Features.Get<IForwarderErrorFeature>();
        if (error is null)
        {
            // No destination proxied: a step before the forwarder answered itself (session affinity's Return503Error).
            // The upstream was never contacted, so it is neither its failure nor worth a retry.
            return new AttemptResult(feature.ProxiedDestination is null ? AttemptKind.OtherError : ResponseKind(context, grpc), statusCode, false);
        }

        if (clientAborted)
        {
            return new AttemptResult(AttemptKind.ClientError, statusCode, false);
        }

        if (deadlineFired)
        {
            // PerTry before the response headers is a timeout of this destination, retried like a failure; Total ends it all.
            return new AttemptResult(AttemptKind.Timeout, StatusCodes.Status504GatewayTimeout, false);
        }

        var kind = error.Error switch
        {
            ForwarderError.Request => ClassifyTransport(error.Exception),
            ForwarderError.RequestTimedOut => AttemptKind.Timeout,
            ForwarderError.RequestBodyDestination or ForwarderError.ResponseHeaders or ForwarderError.ResponseBodyDestination => AttemptKind.Reset,
            ForwarderError.RequestBodyClient or ForwarderError.ResponseBodyClient
                or ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.ResponseBodyCanceled => AttemptKind.ClientError,
            _ => AttemptKind.OtherError,
        };

        return new AttemptResult(kind, statusCode, false);
    }

    /// <summary>An upstream answer: a response, or for gRPC a trailers-only UNAVAILABLE (a failure like a 503).</summary>
    public static AttemptKind ResponseKind(HttpContext context, bool grpc) =>
        grpc && GrpcProtocol.IsUnavailableAnswer(context) ? AttemptKind.Unavailable : AttemptKind.Response;

    /// <summary>A failed upstream call: no connection at all, or one that broke.</summary>
    internal static AttemptKind ClassifyTransport(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException hre)
            {
                return hre.HttpRequestError switch
                {
                    HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError
                        or HttpRequestError.ProxyTunnelError => AttemptKind.ConnectFailure,
                    _ => AttemptKind.Reset,
                };
            }
        }

        return AttemptKind.Reset;
    }
}
