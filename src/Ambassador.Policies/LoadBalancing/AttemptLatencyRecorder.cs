using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.ObjectPool;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Ambassador.Policies.LoadBalancing;

/// <summary>
/// Feeds <c>PeakEwma</c> one latency sample per upstream attempt: the time to the upstream's response headers, as
/// Linkerd measures, so a destination that answers at once and then streams a long body is not taken for a slow one.
/// The per-attempt recording step calls <see cref="Start"/> before the attempt and <see cref="Complete"/> after it;
/// <see cref="PeakEwmaTimingTransformProvider"/>'s response transform calls <see cref="OnResponseHeaders"/> in between.
/// An attempt without response headers (connect failure, reset, timeout) is measured to its end. A failed attempt (no
/// response, 5xx, or a body that broke off) and a 429 count as slow. Clusters that balance otherwise pay one string
/// comparison.
/// </summary>
internal sealed class AttemptLatencyRecorder
{
    // More than the requests a sidecar has in flight at once: beyond it an attempt allocates one small object.
    private const int PooledAttempts = 1024;

    private readonly PeakEwmaRegistry _estimates;
    private readonly PolicyProvider _policies;
    private readonly DefaultObjectPool<PeakEwmaAttempt> _attempts = new(new DefaultPooledObjectPolicy<PeakEwmaAttempt>(), PooledAttempts);

    public AttemptLatencyRecorder(PeakEwmaRegistry estimates, PolicyProvider policies)
    {
        _estimates = estimates;
        _policies = policies;
    }

    /// <summary>The attempt's timing, or null when its cluster does not balance by <c>PeakEwma</c>.</summary>
    public PeakEwmaAttempt? Start(HttpContext context, IReverseProxyFeature? proxy)
    {
        var cluster = proxy?.Cluster;
        if (cluster is null || !IsPeakEwma(cluster.Config.LoadBalancingPolicy))
        {
            return null;
        }

        var attempt = _attempts.Get();
        attempt.Started = _estimates.TimeProvider.GetTimestamp();
        attempt.HeadersArrived = 0;
        context.Features.Set(attempt);
        return attempt;
    }

    /// <summary>Notes that the running attempt's response headers arrived (the first call of an attempt counts).</summary>
    public void OnResponseHeaders(HttpContext context)
    {
        if (context.Features.Get<PeakEwmaAttempt>() is { HeadersArrived: 0 } attempt)
        {
            attempt.HeadersArrived = _estimates.TimeProvider.GetTimestamp();
        }
    }

    /// <summary>Records the attempt against the destination it went to and gives its timing back to the pool.</summary>
    public void Complete(HttpContext context, PeakEwmaAttempt? attempt)
    {
        if (attempt is null)
        {
            return;
        }

        context.Features.Set<PeakEwmaAttempt>(null);
        var started = attempt.Started;
        var end = attempt.HeadersArrived != 0 ? attempt.HeadersArrived : _estimates.TimeProvider.GetTimestamp();
        _attempts.Return(attempt);

        var proxy = context.Features.Get<IReverseProxyFeature>();
        if (proxy?.ProxiedDestination is not { } destination)
        {
            return;
        }

        var status = context.Response.StatusCode;
        var failed = context.Features.Get<IForwarderErrorFeature>() is not null || status >= 500 || status == StatusCodes.Status429TooManyRequests
            || Grpc.GrpcProtocol.IsUnavailableAnswer(context);
        var window = _policies.ForRequest(proxy.Cluster.Config)?.Options.LoadBalancing.DecayWindow ?? PolicyOptionTable.DecayWindow.Default;
        _estimates.Observe(proxy.Cluster.Config.ClusterId, destination.DestinationId, _estimates.TimeProvider.GetElapsedTime(started, end), failed, window);
    }

    /// <summary>Whether a cluster's <c>LoadBalancingPolicy</c> names <c>PeakEwma</c> (YARP matches policy names ignoring case).</summary>
    public static bool IsPeakEwma(string? loadBalancingPolicy)
        => string.Equals(loadBalancingPolicy, LoadBalancingConstants.PeakEwma, StringComparison.OrdinalIgnoreCase);
}
