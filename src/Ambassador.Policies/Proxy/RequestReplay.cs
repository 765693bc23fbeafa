using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace Ambassador.Policies.Proxy;

/// <summary>Whether a request may be sent again: its method, and a body that can be replayed.</summary>
internal static class RequestReplay
{
    /// <summary>GET, HEAD, OPTIONS, PUT, DELETE and TRACE (RFC 9110 §9.2.2).</summary>
    public static bool IsIdempotent(string method)
        => HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method)
            || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method) || HttpMethods.IsTrace(method);

    /// <summary>
    /// Makes the body replayable when Linkerd's rule allows: no body, or a known Content-Length within the limit
    /// (buffered in memory). Chunked bodies, bodies of unknown length and larger ones go once: false.
    /// </summary>
    public static bool PrepareBodyForReplay(HttpContext context, int maxBufferedBodyBytes, out bool buffered)
    {
        buffered = false;
        var request = context.Request;
        if (request.Headers.ContainsKey(HeaderNames.TransferEncoding))
        {
            return false;
        }

        var length = request.ContentLength;
        if (length is null)
        {
            // HTTP/1.x without Content-Length or Transfer-Encoding has no body; HTTP/2 may stream one of unknown length.
            return context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody != true;
        }

        if (length == 0)
        {
            return true;
        }

        if (length > maxBufferedBodyBytes)
        {
            return false;
        }

        request.EnableBuffering(bufferThreshold: (int)length.Value, bufferLimit: length.Value);
        buffered = true;
        return true;
    }
}
