using Ambassador.Policies.Budget;
using Ambassador.Policies.Grpc;
using Ambassador.Policies.Telemetry;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.ObjectPool;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace Ambassador.Policies.Proxy;

/// <summary>
/// The policy step of the proxy pipeline: the attempt loop. Each attempt picks a destination through its breaker and
/// hands exactly that one to YARP's session affinity, load balancing and passive health steps; a response that will be
/// retried is held back; Polly schedules the retries. What cannot be forwarded (every breaker open, a timeout) is named
/// as a <see cref="ProxyFailureFeature"/> for the error-mapping step, which writes the answer. Clusters whose policy is
/// <c>none</c> pass straight through.
/// </summary>
internal sealed class ResilienceMiddleware
{
    private readonly RequestDelegate _next;
    private readonly PolicyProvider _policies;
    private readonly RetryBudgetRegistry _budgets;
    private readonly TimeProvider _time;
    private readonly ObjectPool<RequestState> _states;

    public ResilienceMiddleware(
        RequestDelegate next,
        PolicyProvider policies,
        RetryBudgetRegistry budgets,
        RequestStatePoolPolicy statePolicy,
        TimeProvider time)
    {
        _next = next;
        _policies = policies;
        _budgets = budgets;
        _time = time;

        // Every request in flight holds one; the default pool keeps only twice the core count, so under 32 concurrent
        // requests most would be made anew (with their timer and token sources). Kept: up to MaxConcurrentRequests' default.
        _states = new DefaultObjectPoolProvider { MaximumRetained = 1024 }.Create(statePolicy);
    }

    public Task InvokeAsync(HttpContext context)
    {
        var feature = context.GetReverseProxyFeature();
        var cluster = feature.Route.Cluster;
        if (cluster is null || feature.AvailableDestinations.Count == 0)
        {
            // Nothing to choose from: the error-mapping step answers no-healthy-destination.
            return _next(context);
        }

        var policy = _policies.ForRequest(feature.Cluster.Config);
        return policy is null ? _next(context) : InvokePolicyAsync(context, feature, cluster, policy);
    }

    private Task InvokePolicyAsync(HttpContext context, IReverseProxyFeature feature, ClusterState cluster, ResolvedPolicy policy)
    {
        var request = context.Request;
        var optOut = false;
        if (request.Headers.TryGetValue(PolicyConstants.RetryOptOutHeader, out var optOutValue))
        {
            optOut = string.Equals(optOutValue.ToString().Trim(), "off", StringComparison.OrdinalIgnoreCase);
            request.Headers.Remove(PolicyConstants.RetryOptOutHeader);
        }

        // A gRPC call's own deadline bounds it like Total (the smaller wins); a malformed one is refused unsent.
        var grpc = GrpcProtocol.IsGrpcRequest(request);
        var total = policy.Total;
        if (grpc && !GrpcDeadline.TryBound(request, ref total))
        {
            RequestState.Fail(context, ProxyFailure.InvalidGrpcTimeout);
            return Task.CompletedTask;
        }

        var start = _time.GetTimestamp();
        var budget = _budgets.Get(cluster.ClusterId);
        budget.RecordRequest(start);

        var grpcRetries = grpc && (policy.RetryOn & GrpcRetryConditions.All) != 0;
        var retryable = policy.Retrying is not null
            && !optOut
            && (policy.RetryNonIdempotent || grpcRetries || RequestReplay.IsIdempotent(request.Method));
        var bodyBuffered = false;
        ReplayableRequestBody? streamedBody = null;
        if (retryable)
        {
            if (grpcRetries && request.ContentLength is null)
            {
                // gRPC bodies have no Content-Length: kept as they stream, retryable while they fit.
                streamedBody = new ReplayableRequestBody(request.Body, policy.MaxBufferedBodyBytes);
                request.Body = streamedBody;
            }
            else
            {
                retryable = RequestReplay.PrepareBodyForReplay(context, policy.MaxBufferedBodyBytes, out bodyBuffered);
            }
        }

        var state = _states.Get();
        state.Start(context, _next, feature, cluster, policy, budget, retryable, bodyBuffered, start,
            new GrpcCall(grpc, total, streamedBody));

        context.Features.Set(state);
        return state.RunAsync(_states);
    }
}

/// <summary>Creates <see cref="RequestState"/>s with the shared services and takes back those that can be reused.</summary>
internal sealed class RequestStatePoolPolicy(
    CircuitBreaker.DestinationBreakerRegistry breakers,
    DestinationPicker picker,
    ResilienceTelemetry telemetry,
    TimeProvider time) : IPooledObjectPolicy<RequestState>
{
    public RequestState Create() => new(breakers, picker, telemetry, time);

    public bool Return(RequestState obj) => obj.TryReset();
}
