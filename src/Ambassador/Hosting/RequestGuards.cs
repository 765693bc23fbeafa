namespace Ambassador.Hosting;

/// <summary>Rejects requests whose framing is ambiguous before anything is forwarded.</summary>
internal static class RequestGuards
{
    /// <summary>
    /// A request with both Content-Length and Transfer-Encoding is a request-smuggling vector; like Envoy
    /// we answer 400 and never forward it.
    /// </summary>
    public static Task RejectAmbiguousFramingAsync(HttpContext context, RequestDelegate next)
    {
        var headers = context.Request.Headers;
        if (headers.ContainsKey("Transfer-Encoding") && (headers.ContainsKey("Content-Length") || headers.ContainsKey("X-Content-Length")))
        {
            // Keep-alive after an ambiguous request is unsafe: the next request's boundary is unknown.
            context.Response.Headers.Connection = "close";
            return ProxyErrorsMiddleware.WriteAsync(context, Policies.Proxy.ProxyFailure.AmbiguousFraming);
        }

        return next(context);
    }
}
