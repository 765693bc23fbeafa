using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Ambassador.Policies.LoadBalancing;

/// <summary>
/// Adds to the routes of <c>PeakEwma</c> clusters the response transform that marks when the upstream's response
/// headers arrived: YARP runs response transforms as soon as it has the headers, before it copies the body, which is
/// the moment <c>PeakEwma</c> measures to. Routes of other clusters get nothing (YARP rebuilds a route's transforms when
/// its cluster's configuration changes, so a cluster that switches balancer gets or loses it then).
/// </summary>
internal sealed class PeakEwmaTimingTransformProvider(AttemptLatencyRecorder recorder) : ITransformProvider
{
    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        if (context.Cluster is { } cluster && AttemptLatencyRecorder.IsPeakEwma(cluster.LoadBalancingPolicy))
        {
            context.ResponseTransforms.Add(new HeadersArrivedTransform(recorder));
        }
    }

    private sealed class HeadersArrivedTransform(AttemptLatencyRecorder recorder) : ResponseTransform
    {
        public override ValueTask ApplyAsync(ResponseTransformContext context)
        {
            // A null response is YARP telling the transforms that no response came; the attempt is then timed to its end.
            if (context.ProxyResponse is not null)
            {
                recorder.OnResponseHeaders(context.HttpContext);
            }

            return default;
        }
    }
}
