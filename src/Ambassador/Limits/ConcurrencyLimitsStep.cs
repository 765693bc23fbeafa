using System.Globalization;
using Ambassador.Hosting;
using Ambassador.Policies;
using Ambassador.Policies.Limits;
using Yarp.ReverseProxy.Model;

namespace Ambassador.Limits;

/// <summary>
/// The proxy-pipeline step that holds each request to its cluster's concurrency limits (<c>...:Limits</c> of the
/// cluster's policy). It sits between error mapping and the policy step: a request over the limit is answered 503
/// <c>overloaded</c> at once and never reaches the attempt loop; one that gets a place keeps it for all its attempts.
/// </summary>
internal sealed class ConcurrencyLimitsStep(PolicyProvider policies, ClusterLimiterRegistry limiters)
{
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var feature = context.GetReverseProxyFeature();
        var cluster = feature.Cluster;
        if (cluster is null)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        var limits = policies.ForCluster(cluster.Config).Options.Limits;
        var limiter = limiters.Get(cluster.Config.ClusterId, limits);
        LimitRejection rejection;
        try
        {
            rejection = await limiter.RunAsync(context, next).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away while queued; nobody reads an answer.
            return;
        }

        if (rejection == LimitRejection.None)
        {
            return;
        }

        var clusterId = cluster.Config.ClusterId;
        var route = feature.Route.Config.RouteId;
        var detail = rejection == LimitRejection.QueueTimeout
            ? string.Create(CultureInfo.InvariantCulture,
                $"Cluster '{clusterId}' (route '{route}') is overloaded: the request waited longer than Limits:QueueTimeout ({limits.QueueTimeout:c}) for one of Limits:MaxConcurrentRequests ({limits.MaxConcurrentRequests}).")
            : string.Create(CultureInfo.InvariantCulture,
                $"Cluster '{clusterId}' (route '{route}') is overloaded: Limits:MaxConcurrentRequests ({limits.MaxConcurrentRequests}) in flight and Limits:MaxQueuedRequests ({limits.MaxQueuedRequests}) queued.");
        await ProxyProblem.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, ProxyProblem.Overloaded, detail).ConfigureAwait(false);
    }
}
