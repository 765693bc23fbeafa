using Ambassador.Policies.Proxy;

namespace Ambassador.Hosting;

/// <summary>
/// The last step of the pipeline, reached when no endpoint matched: the admin listener answers a bare 404 (it is not
/// a proxy, so no problem document), a proxy listener the documented <c>no-route</c> problem.
/// </summary>
internal static class NoRouteFallback
{
    public static Task WriteAsync(HttpContext context)
    {
        var listeners = context.RequestServices.GetRequiredService<ListenerRegistry>();
        if (listeners.IsAdmin(context))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        return ProxyErrorsMiddleware.WriteAsync(context, ProxyFailure.NoRoute);
    }
}
