using Ambassador.Policies.Proxy;
using Microsoft.Net.Http.Headers;

namespace Ambassador.Hosting;

/// <summary>
/// Rejects requests whose framing is ambiguous before anything is forwarded. Kestrel's HTTP/1.1 parser already
/// rejects most framing attacks (docs/reliability.md lists what was checked); these are the ones it lets through.
/// </summary>
internal static class RequestGuards
{
    /// <summary>
    /// A request with both Content-Length and Transfer-Encoding, or with a Content-Length that is not
    /// <c>1*DIGIT</c>, is a request-smuggling vector: another hop may read its body boundary differently.
    /// Like Envoy and nginx we answer 400, close the connection and never forward it.
    /// </summary>
    public static Task RejectAmbiguousFramingAsync(HttpContext context, RequestDelegate next)
    {
        var headers = context.Request.Headers;
        if (headers.ContainsKey(HeaderNames.TransferEncoding) && (headers.ContainsKey(HeaderNames.ContentLength) || headers.ContainsKey("X-Content-Length")))
        {
            return RejectAsync(context, ProxyFailure.AmbiguousFraming);
        }

        // Kestrel parses Content-Length with a number parser that takes a sign ("+5", "-0") and keeps only the
        // number, so the raw bytes decide (RFC 9110 §8.6 allows digits only); the scanner saw them.
        if (context.Features.Get<RequestFramingScanner>() is { } scanner)
        {
            if (scanner.InvalidContentLength)
            {
                return RejectAsync(context, ProxyFailure.InvalidContentLength);
            }

            if (scanner.BareLineFeed)
            {
                // RFC 9112 §2.2 lets a recipient accept a bare LF; a hop that does not would read other header lines.
                return RejectAsync(context, ProxyFailure.BareLineFeed);
            }

            if (headers.ContainsKey(HeaderNames.Upgrade))
            {
                StopScanOnUpgrade(context, scanner);
            }
        }

        if (headers.ContainsKey(HeaderNames.TransferEncoding) && HttpProtocol.IsHttp10(context.Request.Protocol))
        {
            // RFC 9112 §6.1: HTTP/1.0 has no transfer codings, so the framing is faulty.
            return RejectAsync(context, ProxyFailure.TransferEncodingInHttp10);
        }

        return next(context);
    }

    private static void StopScanOnUpgrade(HttpContext context, RequestFramingScanner scanner) =>
        context.Response.OnStarting(static state =>
        {
            var (response, scanner) = ((HttpResponse, RequestFramingScanner))state;
            if (response.StatusCode == StatusCodes.Status101SwitchingProtocols)
            {
                scanner.Stop();
            }

            return Task.CompletedTask;
        }, (context.Response, scanner));

    private static Task RejectAsync(HttpContext context, ProxyFailure failure)
    {
        // Keep-alive after an ambiguous request is unsafe: the next request's boundary is unknown. Set when the
        // response starts, because writing the problem clears the headers set before it.
        context.Response.OnStarting(static state =>
        {
            ((HttpResponse)state).Headers.Connection = "close";
            return Task.CompletedTask;
        }, context.Response);
        return ProxyErrorsMiddleware.WriteAsync(context, failure);
    }
}
