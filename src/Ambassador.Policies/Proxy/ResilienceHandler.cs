using System.Collections.Frozen;
using Ambassador.Policies.Budget;
using Ambassador.Policies.CircuitBreaker;
using Ambassador.Policies.Telemetry;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;
using Polly;
using Polly.Timeout;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;
using Yarp.ReverseProxy.SessionAffinity;

namespace Ambassador.Policies.Proxy;

/// <summary>
/// The proxy-pipeline step that applies a cluster's policy: retries to another destination, retry budget,
/// per-destination breakers and timeouts. It runs before YARP's session affinity and load balancing and hands them
/// exactly one destination per attempt, so each attempt runs through that destination's breaker.
/// </summary>
internal sealed partial class ResilienceHandler
{
    private const string DefaultLoadBalancingPolicy = "PowerOfTwoChoices";
    private const string DefaultAffinityPolicy = "HashCookie";

    private readonly PolicyProvider _policies;
    private readonly RetryBudgetRegistry _budgets;
    private readonly FrozenDictionary<string, ILoadBalancingPolicy> _loadBalancers;
    private readonly FrozenDictionary<string, ISessionAffinityPolicy> _affinityPolicies;
    private readonly ILogger _logger;

    public ResilienceHandler(
        PolicyProvider policies,
        RetryBudgetRegistry budgets,
        DestinationBreakerRegistry breakers,
        ResilienceTelemetry telemetry,
        IEnumerable<ILoadBalancingPolicy> loadBalancers,
        IEnumerable<ISessionAffinityPolicy> affinityPolicies,
        TimeProvider timeProvider,
        ILogger<ResilienceHandler> logger)
    {
        _policies = policies;
        _budgets = budgets;
        Breakers = breakers;
        Telemetry = telemetry;
        TimeProvider = timeProvider;
        _logger = logger;
        _loadBalancers = loadBalancers.ToFrozenDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        _affinityPolicies = affinityPolicies.ToFrozenDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
    }

    public DestinationBreakerRegistry Breakers { get; }

    public ResilienceTelemetry Telemetry { get; }

    public TimeProvider TimeProvider { get; }

    /// <summary>Forwards the request under its cluster's policy; returns what the host still has to answer.</summary>
    public async Task<ResilienceVerdict> InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        var optOut = false;
        if (request.Headers.TryGetValue(PolicyConstants.RetryOptOutHeader, out var optOutValue))
        {
            optOut = string.Equals(optOutValue.ToString().Trim(), "off", StringComparison.OrdinalIgnoreCase);
            request.Headers.Remove(PolicyConstants.RetryOptOutHeader);
        }

        var feature = context.Features.Get<Yarp.ReverseProxy.Model.IReverseProxyFeature>();
        var cluster = feature?.Route.Cluster;
        if (feature is null || cluster is null || feature.AvailableDestinations.Count == 0)
        {
            // Nothing to choose from: YARP answers (no healthy destination) and the host maps it.
            await next(context);
            return ResilienceVerdict.Forwarded;
        }

        var policy = _policies.ForCluster(feature.Cluster.Config);
        var startTimestamp = TimeProvider.GetTimestamp();
        var budget = _budgets.Get(cluster.ClusterId);
        budget.RecordRequest(startTimestamp);

        var retryable = policy.Retrying is not null
            && !optOut
            && (policy.RetryNonIdempotent || IsIdempotent(request.Method));
        var bodyBuffered = false;
        if (retryable)
        {
            retryable = PrepareBodyForReplay(context, policy.MaxBufferedBodyBytes, out bodyBuffered);
        }

        var state = new RequestState(this, context, next, feature, cluster, policy, budget, retryable, bodyBuffered, startTimestamp);
        var originalAborted = context.RequestAborted;
        var resilienceContext = ResilienceContextPool.Shared.Get(originalAborted);
        resilienceContext.Properties.Set(ResilienceKeys.Request, state);

        // The response transform finds the state through the async flow rather than HttpContext.Features: setting a
        // feature bumps the collection's revision and makes every cached feature lookup of the request start over.
        // The value reverts by itself when this method returns.
        RequestState.Current.Value = state;
        try
        {
            var outcome = await policy.Single.ExecuteOutcomeAsync(
                static (ctx, s) => RequestState.RunAttemptAsync(ctx, s),
                resilienceContext,
                state);

            if (retryable && state.DecideAfterAttempt(outcome))
            {
                outcome = await state.RetryAsync(resilienceContext, outcome);
            }

            if (outcome.Exception is TimeoutRejectedException
                || (outcome.Exception is null && outcome.Result.Kind == AttemptKind.Timeout && !context.Response.HasStarted))
            {
                if (state.ClientAborted)
                {
                    return ResilienceVerdict.Forwarded;
                }

                LogTimedOut(_logger, cluster.ClusterId, state.Attempts);
                return ResilienceVerdict.Timeout;
            }

            outcome.ThrowIfException();
            return outcome.Result.Kind == AttemptKind.CircuitOpen ? ResilienceVerdict.CircuitOpen : ResilienceVerdict.Forwarded;
        }
        finally
        {
            context.RequestAborted = originalAborted;
            ResilienceContextPool.Shared.Return(resilienceContext);
        }
    }

    /// <summary>
    /// The destination the request's affinity key (YARP session affinity, enabled on the cluster) names among
    /// <paramref name="pool"/>, or null when the request carries no valid key or its destination is not in the pool.
    /// YARP's session affinity step then sees that one destination and keeps the key, or applies the cluster's
    /// <c>FailurePolicy</c> to another one (Redistribute: the response carries the new key).
    /// </summary>
    internal DestinationState? FindAffinitized(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> pool)
    {
        var config = cluster.Model.Config.SessionAffinity!;
        if (!_affinityPolicies.TryGetValue(config.Policy ?? DefaultAffinityPolicy, out var policy))
        {
            return null;
        }

        var result = policy.FindAffinitizedDestinations(context, cluster, config, pool);
        return result.Status == AffinityStatus.OK && result.Destinations is { Count: > 0 } found ? found[0] : null;
    }

    internal DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> pool)
    {
        var name = cluster.Model.Config.LoadBalancingPolicy ?? DefaultLoadBalancingPolicy;
        var picked = _loadBalancers.TryGetValue(name, out var balancer) ? balancer.PickDestination(context, cluster, pool) : null;
        return picked ?? pool[Random.Shared.Next(pool.Count)];
    }

    internal void OnRetry(RequestState state, string reason, int attempt, TimeSpan delay)
    {
        Telemetry.Retry(state.Cluster.ClusterId, reason, attempt, delay, state.Activity);
        LogRetrying(_logger, state.Cluster.ClusterId, reason, attempt + 1, delay.TotalMilliseconds);
    }

    internal void OnBudgetRefused(RequestState state, string reason)
    {
        Telemetry.BudgetRefused(state.Cluster.ClusterId, reason, state.Activity);
        LogBudgetRefused(_logger, state.Cluster.ClusterId, reason);
    }

    /// <summary>GET, HEAD, OPTIONS, PUT, DELETE and TRACE (RFC 9110 §9.2.2).</summary>
    internal static bool IsIdempotent(string method)
        => HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method)
            || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method) || HttpMethods.IsTrace(method);

    /// <summary>
    /// Makes the body replayable when Linkerd's rule allows: no body, or a known Content-Length within the limit
    /// (buffered in memory). Chunked bodies, bodies of unknown length and larger ones go once: false.
    /// </summary>
    internal static bool PrepareBodyForReplay(HttpContext context, int maxBufferedBodyBytes, out bool buffered)
    {
        buffered = false;
        var request = context.Request;
        if (request.Headers.ContainsKey(HeaderNames.TransferEncoding))
        {
            return false;
        }

        var length = request.ContentLength;
        if (length is null)
        {
            // HTTP/1.x without Content-Length or Transfer-Encoding has no body; HTTP/2 may stream one of unknown length.
            return context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody != true;
        }

        if (length == 0)
        {
            return true;
        }

        if (length > maxBufferedBodyBytes)
        {
            return false;
        }

        request.EnableBuffering(bufferThreshold: (int)length.Value, bufferLimit: length.Value);
        buffered = true;
        return true;
    }
}
