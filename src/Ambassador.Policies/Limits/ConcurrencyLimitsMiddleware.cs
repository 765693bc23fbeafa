using Ambassador.Policies.Proxy;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Model;

namespace Ambassador.Policies.Limits;

/// <summary>
/// The limits step of the proxy pipeline: holds each request to its cluster's concurrency limits (<c>...:Limits</c> of
/// the cluster's policy). It sits between error mapping and the policy step: a request over the limit never reaches the
/// attempt loop and is answered 503 <c>overloaded</c> at once by the error-mapping step; one that gets a place keeps it
/// for all its attempts.
/// </summary>
internal sealed class ConcurrencyLimitsMiddleware(RequestDelegate next, PolicyProvider policies, ClusterLimiterRegistry limiters)
{
    public Task InvokeAsync(HttpContext context)
    {
        // A cluster whose policy is "none" has no resilience and no limits: YARP alone.
        var cluster = context.Features.Get<IReverseProxyFeature>()?.Cluster;
        if (cluster is null || policies.ForRequest(cluster.Config) is not { } policy)
        {
            return next(context);
        }

        if (!policy.Options.Limits.Enabled)
        {
            // Limits switched off (a reload may have just done so): without a limiter the retry limit is off too.
            limiters.Forget(cluster.Config.ClusterId);
            return next(context);
        }

        // A free place is taken without the Polly rate-limiter execution, which only waiting or refusing needs. It is
        // given back when the response is complete (as a retry's place is): no async frame of this step per request.
        var limiter = limiters.Get(cluster.Config.ClusterId, policy.Options.Limits);
        if (limiter.TryEnter() is { } lease)
        {
            context.Response.RegisterForDispose(lease);
            return next(context);
        }

        return RunLimitedAsync(context, limiter);
    }

    private async Task RunLimitedAsync(HttpContext context, ClusterLimiter limiter)
    {
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

        if (rejection != LimitRejection.None)
        {
            context.Features.Set(ProxyFailureFeature.For(
                rejection == LimitRejection.QueueTimeout ? ProxyFailure.OverloadedQueueTimeout : ProxyFailure.Overloaded));
        }
    }
}
