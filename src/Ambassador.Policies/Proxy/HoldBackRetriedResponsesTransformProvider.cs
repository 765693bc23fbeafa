using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Ambassador.Policies.Proxy;

/// <summary>
/// Adds to every route the response transform that holds back a response that will be retried: YARP has copied only
/// its status and headers (nothing is sent yet), and <see cref="ResponseTransformContext.SuppressResponseBody"/>
/// stops the body, so the client never sees half of a discarded attempt.
/// </summary>
internal sealed class HoldBackRetriedResponsesTransformProvider : ITransformProvider
{
    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
        => context.AddResponseTransform(static transform =>
        {
            // Present only while the policy step runs the request (absent for clusters with "Policy": "none").
            transform.HttpContext.Features.Get<RequestState>()?.OnUpstreamResponse(transform);
            return default;
        });
}
