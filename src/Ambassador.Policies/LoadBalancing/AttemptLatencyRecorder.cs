using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Ambassador.Policies.LoadBalancing;

/// <summary>
/// Feeds <c>PeakEwma</c> one latency sample per upstream attempt. The per-attempt recording step calls
/// <see cref="Start"/> before the attempt and <see cref="Complete"/> after it; clusters that balance otherwise pay one
/// string comparison. A failed attempt (no response, or 5xx) and a 429 count as slow.
/// </summary>
internal sealed class AttemptLatencyRecorder(PeakEwmaRegistry estimates, PolicyProvider policies)
{
    /// <summary>The attempt's start timestamp, or 0 when its cluster does not balance by <c>PeakEwma</c>.</summary>
    public long Start(HttpContext context)
    {
        var cluster = context.Features.Get<IReverseProxyFeature>()?.Cluster;
        return cluster is not null && string.Equals(cluster.Config.LoadBalancingPolicy, LoadBalancingConstants.PeakEwma, StringComparison.OrdinalIgnoreCase)
            ? estimates.TimeProvider.GetTimestamp()
            : 0;
    }

    /// <summary>Records the attempt that began at <paramref name="started"/> against the destination it went to.</summary>
    public void Complete(HttpContext context, long started)
    {
        if (started == 0)
        {
            return;
        }

        var proxy = context.Features.Get<IReverseProxyFeature>();
        if (proxy?.ProxiedDestination is not { } destination)
        {
            return;
        }

        var status = context.Response.StatusCode;
        var failed = context.Features.Get<IForwarderErrorFeature>() is not null || status >= 500 || status == StatusCodes.Status429TooManyRequests
            || Grpc.GrpcProtocol.IsUnavailableAnswer(context);
        var window = policies.ForRequest(proxy.Cluster.Config)?.Options.LoadBalancing.DecayWindow ?? PolicyOptionTable.DecayWindow.Default;
        estimates.Observe(proxy.Cluster.Config.ClusterId, destination.DestinationId, estimates.TimeProvider.GetElapsedTime(started), failed, window);
    }
}
