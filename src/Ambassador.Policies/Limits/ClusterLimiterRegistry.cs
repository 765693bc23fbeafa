using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Model;

namespace Ambassador.Policies.Limits;

/// <summary>
/// One <see cref="ClusterLimiter"/> per cluster, built on first use and replaced when a reload changes the cluster's
/// limits (requests holding a place in the old one finish there). Also forgets the limiters of removed clusters.
/// </summary>
internal sealed class ClusterLimiterRegistry : IClusterChangeListener, IDisposable
{
    private readonly ConcurrentDictionary<string, ClusterLimiter> _limiters = new(StringComparer.Ordinal);
    private readonly TimeProvider _timeProvider;
    private readonly LimitsTelemetry _telemetry;

    public ClusterLimiterRegistry(TimeProvider timeProvider, LimitsTelemetry telemetry)
    {
        _timeProvider = timeProvider;
        _telemetry = telemetry;
    }

    /// <summary>The limiter of a cluster, built with <paramref name="options"/> when missing or outdated.</summary>
    public ClusterLimiter Get(string clusterId, LimitsPolicyOptions options)
    {
        if (_limiters.TryGetValue(clusterId, out var limiter) && limiter.Options.Equals(options))
        {
            return limiter;
        }

        return _limiters.AddOrUpdate(
            clusterId,
            static (id, arg) => new ClusterLimiter(id, arg.options, arg.self._timeProvider, arg.self._telemetry),
            static (id, existing, arg) => existing.Options.Equals(arg.options)
                ? existing
                : new ClusterLimiter(id, arg.options, arg.self._timeProvider, arg.self._telemetry),
            (options, self: this));
    }

    /// <summary>Drops the limiter of a cluster whose limits are switched off; requests holding a place in it finish there.</summary>
    public void Forget(string clusterId)
    {
        // The lookup first: the common case (nothing to forget) takes no lock.
        if (_limiters.ContainsKey(clusterId))
        {
            _limiters.TryRemove(clusterId, out _);
        }
    }

    /// <summary>The limiter of a cluster if one exists.</summary>
    public ClusterLimiter? Find(string clusterId) => _limiters.TryGetValue(clusterId, out var limiter) ? limiter : null;

    /// <summary>
    /// The retry-limit check of the attempt loop: takes a place for one retry of the request's cluster (held until the
    /// response is complete), or returns false, counted, when <c>MaxConcurrentRetries</c> retries are in flight.
    /// A cluster whose requests never passed the limits step has no limiter and no limit.
    /// </summary>
    public static bool TryAcquireRetry(HttpContext context, string clusterId)
        => context.RequestServices.GetService<ClusterLimiterRegistry>()?.Find(clusterId) is not { } limiter
            || limiter.TryAcquireRetry(context);

    public void OnClusterAdded(ClusterState cluster)
    {
    }

    public void OnClusterChanged(ClusterState cluster)
    {
    }

    public void OnClusterRemoved(ClusterState cluster) => _limiters.TryRemove(cluster.ClusterId, out _);

    public void Dispose()
    {
        foreach (var limiter in _limiters.Values)
        {
            limiter.Dispose();
        }
    }
}
