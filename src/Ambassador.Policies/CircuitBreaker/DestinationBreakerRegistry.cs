using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Ambassador.Policies.Proxy;
using Microsoft.Extensions.Logging;
using Polly;

namespace Ambassador.Policies.CircuitBreaker;

/// <summary>
/// One <see cref="DestinationBreaker"/> per cluster and destination, created on first use and rebuilt (closed) when a
/// configuration reload changes the cluster's breaker settings. Also the <see cref="IBreakerStateSource"/> of the admin API.
/// </summary>
internal sealed partial class DestinationBreakerRegistry : IBreakerStateSource, IBreakerTransitionObserver
{
    private readonly ConcurrentDictionary<(string ClusterId, string DestinationId), DestinationBreaker> _breakers = new();
    private readonly ConcurrentDictionary<string, ClusterEjections> _clusters = new(StringComparer.Ordinal);
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Counter<long>? _overflows;

    public DestinationBreakerRegistry(TimeProvider timeProvider, ILogger<DestinationBreakerRegistry> logger, IMeterFactory? meterFactory = null)
    {
        _timeProvider = timeProvider;
        _logger = logger;
        _overflows = meterFactory?.Create(AmbassadorTelemetry.MeterName).CreateCounter<long>(
            "ambassador.circuit_breaker.ejections_overflow",
            "{ejection}",
            "Breakers that would have opened but stayed closed because the cluster's MaxEjectionPercent was reached.");
    }

    /// <summary>The breaker of a destination, built with <paramref name="options"/> when missing or outdated.</summary>
    public DestinationBreaker Get(string clusterId, string destinationId, CircuitBreakerPolicyOptions options)
    {
        var key = (clusterId, destinationId);
        if (_breakers.TryGetValue(key, out var breaker) && breaker.Options.Equals(options))
        {
            return breaker;
        }

        return _breakers.AddOrUpdate(
            key,
            static (k, arg) => new DestinationBreaker(k.ClusterId, k.DestinationId, arg.options, arg.self._timeProvider, arg.self),
            static (k, existing, arg) => existing.Options.Equals(arg.options)
                ? existing
                : new DestinationBreaker(k.ClusterId, k.DestinationId, arg.options, arg.self._timeProvider, arg.self),
            (options, self: this));
    }

    /// <summary>How many destinations a cluster has (the base of its ejection cap); set as YARP's cluster state changes.</summary>
    public void SetDestinationCount(string clusterId, int count) => ClusterOf(clusterId).Destinations = count;

    /// <summary>Ejection count and return time of a destination, for <c>/admin/clusters</c>.</summary>
    public EjectionInfo GetEjection(string clusterId, string destinationId)
        => Find(clusterId, destinationId) is { } breaker ? new EjectionInfo(breaker.Ejections, breaker.ReturnsAt) : default;

    /// <summary>The breaker of a destination if one exists.</summary>
    public DestinationBreaker? Find(string clusterId, string destinationId)
        => _breakers.TryGetValue((clusterId, destinationId), out var breaker) ? breaker : null;

    /// <inheritdoc />
    public BreakerState GetState(string clusterId, string destinationId)
        => Find(clusterId, destinationId)?.State ?? BreakerState.Closed;

    /// <summary>Forgets the breakers of destinations that no longer exist (discovery churn).</summary>
    public void Prune(string clusterId, Func<string, bool> stillExists)
    {
        foreach (var key in _breakers.Keys)
        {
            if (string.Equals(key.ClusterId, clusterId, StringComparison.Ordinal) && !stillExists(key.DestinationId))
            {
                _breakers.TryRemove(key, out _);
            }
        }
    }

    /// <summary>Forgets a removed cluster: its breakers and its ejection bookkeeping.</summary>
    public void ForgetCluster(string clusterId)
    {
        Prune(clusterId, static _ => false);
        _clusters.TryRemove(clusterId, out _);
    }

    /// <summary>The most destinations of a cluster that may be ejected at once: the percentage of its size, and always one.</summary>
    internal static int AllowedEjections(int destinations, int maxEjectionPercent)
        => Math.Max(1, destinations * Math.Clamp(maxEjectionPercent, 0, 100) / 100);

    bool IBreakerTransitionObserver.TryEject(DestinationBreaker breaker, ResilienceContext context)
    {
        var cluster = ClusterOf(breaker.ClusterId);
        lock (cluster)
        {
            var ejected = 0;
            var known = 0;
            foreach (var (key, other) in _breakers)
            {
                if (!string.Equals(key.ClusterId, breaker.ClusterId, StringComparison.Ordinal))
                {
                    continue;
                }

                known++;
                if (!ReferenceEquals(other, breaker) && other.IsEjected)
                {
                    ejected++;
                }
            }

            var allowed = AllowedEjections(Math.Max(cluster.Destinations, known), breaker.Options.MaxEjectionPercent);
            if (ejected < allowed)
            {
                return true;
            }

            _overflows?.Add(1, new KeyValuePair<string, object?>("cluster", breaker.ClusterId));
            if (!cluster.OverflowLogged)
            {
                // Once per episode: until a destination of the cluster returns, further refusals are only counted.
                cluster.OverflowLogged = true;
                LogEjectionOverflow(_logger, breaker.ClusterId, breaker.DestinationId, ejected, breaker.Options.MaxEjectionPercent);
            }

            return false;
        }
    }

    void IBreakerTransitionObserver.OnEjectionEnded(DestinationBreaker breaker)
    {
        var cluster = ClusterOf(breaker.ClusterId);
        lock (cluster)
        {
            cluster.OverflowLogged = false;
        }
    }

    private ClusterEjections ClusterOf(string clusterId) => _clusters.GetOrAdd(clusterId, static _ => new ClusterEjections());

    /// <summary>Measurements of <c>ambassador.circuit_breaker.state</c>.</summary>
    public IEnumerable<Measurement<int>> ObserveStates()
    {
        foreach (var breaker in _breakers.Values)
        {
            yield return new Measurement<int>(
                (int)breaker.State,
                new KeyValuePair<string, object?>("cluster", breaker.ClusterId),
                new KeyValuePair<string, object?>("destination", breaker.DestinationId));
        }
    }

    void IBreakerTransitionObserver.OnTransition(DestinationBreaker breaker, BreakerState state, ResilienceContext context, TimeSpan breakDuration)
    {
        switch (state)
        {
            case BreakerState.Open:
                LogOpened(_logger, breaker.ClusterId, breaker.DestinationId, breakDuration, breaker.Ejections);
                break;
            case BreakerState.HalfOpen:
                LogHalfOpened(_logger, breaker.ClusterId, breaker.DestinationId);
                break;
            default:
                LogClosed(_logger, breaker.ClusterId, breaker.DestinationId);
                break;
        }

        // Polly runs these callbacks off the request's execution context, so the request's activity travels in the context.
        var activity = context.Properties.TryGetValue(ResilienceKeys.Request, out var request) ? request.Activity : null;
        activity?.AddEvent(new ActivityEvent(
            state switch
            {
                BreakerState.Open => "circuit_breaker.opened",
                BreakerState.HalfOpen => "circuit_breaker.half_opened",
                _ => "circuit_breaker.closed",
            },
            tags: new ActivityTagsCollection
            {
                ["ambassador.cluster"] = breaker.ClusterId,
                ["ambassador.destination"] = breaker.DestinationId,
            }));
    }

    /// <summary>A cluster's share of the ejection bookkeeping; its instance is also the lock of its ejection decisions.</summary>
    private sealed class ClusterEjections
    {
        public int Destinations { get; set; }

        public bool OverflowLogged { get; set; }
    }
}
