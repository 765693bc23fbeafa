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
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    public DestinationBreakerRegistry(TimeProvider timeProvider, ILogger<DestinationBreakerRegistry> logger)
    {
        _timeProvider = timeProvider;
        _logger = logger;
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

    void IBreakerTransitionObserver.OnTransition(DestinationBreaker breaker, BreakerState state, ResilienceContext context)
    {
        switch (state)
        {
            case BreakerState.Open:
                LogOpened(_logger, breaker.ClusterId, breaker.DestinationId, breaker.Options.BreakDuration);
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
}
