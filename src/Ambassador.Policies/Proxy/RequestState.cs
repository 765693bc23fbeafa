using System.Diagnostics;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using Ambassador.Policies.Budget;
using Ambassador.Policies.CircuitBreaker;
using Ambassador.Policies.Grpc;
using Ambassador.Policies.Retry;
using Ambassador.Policies.Telemetry;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.ObjectPool;
using Polly;
using Polly.CircuitBreaker;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;
using Yarp.ReverseProxy.Transforms;

namespace Ambassador.Policies.Proxy;

/// <summary>
/// The one per-request object of the policy step: what the request's attempts share (policy, budget, deadlines) and
/// the steps of one attempt, with the retry decision. Where an attempt goes is <see cref="AttemptDestinations"/>; how
/// it ended is <see cref="AttemptClassifier"/>'s reading. The policy step sets it as an HttpContext feature for the
/// length of the request, which is how the response transform reaches it; Polly's retry callbacks need none of it
/// (the attempt's outcome carries the retry decision), and a breaker's transition events read only its activity,
/// through the breaker's Polly context. Pooled: a request that succeeds at once allocates nothing here, and what only
/// a retry needs (<see cref="RetryLedger"/>) is made when a retry is decided. The attempt's async state machines
/// come from the runtime's per-thread pool (<see cref="PoolingAsyncValueTaskMethodBuilder{TResult}"/>).
/// </summary>
internal sealed class RequestState
{
    private readonly DestinationBreakerRegistry _breakers;
    private readonly ResilienceTelemetry _telemetry;
    private readonly TimeProvider _time;
    private readonly ResilienceContext _breakerContext;

    // Where the attempts go (breakers, affinity, load balancing, what was tried); only this object asks it.
    private readonly AttemptDestinations _destinations;
    private RequestDelegate _next = null!;
    private CancellationToken _clientAborted;
    private int _attempt;
    private bool _committed;
    private RetryConditions _committedReason;
    private TimeSpan? _retryAfter;
    private GrpcCall _grpc;
    private Outcome<AttemptResult>? _firstOutcome;

    public RequestState(DestinationBreakerRegistry breakers, DestinationPicker picker, ResilienceTelemetry telemetry, TimeProvider time)
    {
        _breakers = breakers;
        _destinations = new AttemptDestinations(breakers, picker);
        _telemetry = telemetry;
        _time = time;
        Deadline = new RequestDeadline(time);

        // The context of this object's breaker executions, kept with it (not taken from Polly's small shared pool per
        // request, which under concurrency allocates): breakers need no cancellation token, only the way back to the
        // request for their transition events.
        _breakerContext = ResilienceContextPool.Shared.Get();
        _breakerContext.Properties.Set(ResilienceKeys.Request, this);
    }

    public HttpContext Context { get; private set; } = null!;

    public IReverseProxyFeature Feature { get; private set; } = null!;

    public ClusterState Cluster { get; private set; } = null!;

    public ResolvedPolicy Policy { get; private set; } = null!;

    public RetryBudget Budget { get; private set; } = null!;

    /// <summary>Whether this request may be retried at all (method, body, opt-out, policy).</summary>
    public bool Retryable { get; private set; }

    public bool BodyBuffered { get; private set; }

    /// <summary>The request's activity, for span events (the breaker's transitions read it through the Polly context).</summary>
    public Activity? Activity { get; private set; }

    /// <summary>The request's deadlines (one timer).</summary>
    public RequestDeadline Deadline { get; }

    /// <summary>Attempts started so far (1-based once running).</summary>
    public int Attempts => _attempt;

    /// <summary>Whether the client gave up on the request.</summary>
    public bool ClientAborted => _clientAborted.IsCancellationRequested;

    /// <summary>Binds this (pooled) object to a request and starts its clock.</summary>
    public void Start(HttpContext context, RequestDelegate next, IReverseProxyFeature feature, ClusterState cluster, ResolvedPolicy policy,
        RetryBudget budget, bool retryable, bool bodyBuffered, long startTimestamp, GrpcCall grpc = default)
    {
        _grpc = grpc;
        Context = context;
        _next = next;
        Feature = feature;
        Cluster = cluster;
        Policy = policy;
        Budget = budget;
        Retryable = retryable;
        BodyBuffered = bodyBuffered;
        Activity = Activity.Current;
        _destinations.Start(cluster.ClusterId, feature.AvailableDestinations);
        _clientAborted = context.RequestAborted;
        Deadline.Start(startTimestamp, grpc.IsGrpc ? grpc.Total : policy.Total, policy.PerTry, _clientAborted);
    }

    /// <summary>Unbinds from the request; false when this object cannot be reused (a deadline fired).</summary>
    public bool TryReset()
    {
        Context = null!;
        _next = null!;
        Feature = null!;
        Cluster = null!;
        Policy = null!;
        Budget = null!;
        Activity = null;
        _destinations.Reset();
        _clientAborted = default;
        _attempt = 0;
        _committed = false;
        _committedReason = RetryConditions.None;
        _retryAfter = null;
        _grpc = default;
        _firstOutcome = null;
        return Deadline.TryReset();
    }

    /// <summary>
    /// Runs the request to its end and then gives this object back to <paramref name="pool"/>: the first attempt, inline
    /// (one async state machine for the whole policy step of a request that succeeds at once), then, only when a retry
    /// of it was decided, Polly's retry pipeline (<see cref="RetryAsync"/>). What cannot be forwarded (every breaker
    /// open, a timeout) is named as a <see cref="ProxyFailureFeature"/> for the error-mapping step.
    /// </summary>
    public async Task RunAsync(ObjectPool<RequestState> pool)
    {
        var context = Context;
        try
        {
            Outcome<AttemptResult> outcome;
            if (BeginAttempt(out outcome))
            {
                // The same loop as AttemptAsync's, written out here rather than awaited: one state machine less.
                while (true)
                {
                    var destination = Choose(out var breaker);
                    if (destination is null)
                    {
                        outcome = Outcome.FromResult(AttemptResult.CircuitOpen);
                        break;
                    }

                    if (breaker.IsClosed)
                    {
                        var clientAborted = BeginForward();
                        try
                        {
                            await _next(context).ConfigureAwait(false);
                            outcome = Outcome.FromResult(Classify());
                        }
                        catch (Exception e)
                        {
                            outcome = Outcome.FromException<AttemptResult>(e);
                        }
                        finally
                        {
                            context.RequestAborted = clientAborted;
                        }

                        outcome = Counted(outcome, await breaker.ReportAsync(outcome, _breakerContext).ConfigureAwait(false));
                    }
                    else
                    {
                        outcome = await ProbeAsync(breaker).ConfigureAwait(false);
                    }

                    if (EndAttempt(destination, ref outcome))
                    {
                        break;
                    }
                }
            }

            if (outcome.Exception is null && outcome.Result.RetryCommitted)
            {
                outcome = await RetryAsync(Policy.Retrying!, outcome).ConfigureAwait(false);
            }

            Finish(outcome);
        }
        finally
        {
            context.Features.Set<RequestState>(null);
            pool.Return(this);
        }
    }

    /// <summary>
    /// One attempt after the first (Polly's retry callback): pick a destination its breaker admits, forward (through
    /// the breaker when it is not closed), classify, and decide here whether it is retried (the outcome says so to
    /// Polly's predicate).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<Outcome<AttemptResult>> AttemptAsync()
    {
        if (!BeginAttempt(out var outcome))
        {
            return outcome;
        }

        while (true)
        {
            var destination = Choose(out var breaker);
            if (destination is null)
            {
                return Outcome.FromResult(AttemptResult.CircuitOpen);
            }

            if (breaker.IsClosed)
            {
                outcome = await ForwardAsync().ConfigureAwait(false);
                outcome = Counted(outcome, await breaker.ReportAsync(outcome, _breakerContext).ConfigureAwait(false));
            }
            else
            {
                outcome = await ProbeAsync(breaker).ConfigureAwait(false);
            }

            if (EndAttempt(destination, ref outcome))
            {
                return outcome;
            }
        }
    }

    /// <summary>Counts a new attempt and arms its deadlines; false (with the outcome) when Total has already passed.</summary>
    private bool BeginAttempt(out Outcome<AttemptResult> refused)
    {
        _attempt++;
        if (_attempt > 1)
        {
            PrepareRetry();
        }

        refused = default;
        if (!Deadline.StartAttempt())
        {
            refused = Outcome.FromResult(new AttemptResult(AttemptKind.Timeout, StatusCodes.Status504GatewayTimeout, false));
            return false;
        }

        return true;
    }

    /// <summary>The attempt's destination (handed to YARP's steps as the only one) and its breaker; null when every breaker is open.</summary>
    private DestinationState? Choose(out DestinationBreaker breaker)
    {
        var destination = _destinations.Pick(Context, Cluster, _attempt);
        if (destination is null)
        {
            breaker = null!;
            return null;
        }

        breaker = _breakers.Get(Cluster.ClusterId, destination.DestinationId, Policy.Breaker);
        Feature.AvailableDestinations = destination;
        return destination;
    }

    /// <summary>
    /// The outcome of an attempt made around a closed breaker, after the breaker counted it. A breaker opened by other
    /// requests while the attempt was in flight refuses the report: the attempt still happened, its outcome stands.
    /// </summary>
    private static Outcome<AttemptResult> Counted(Outcome<AttemptResult> outcome, Outcome<AttemptResult> reported)
        => reported.Exception is BrokenCircuitException ? outcome : reported;

    /// <summary>
    /// The attempt inside the breaker's Polly pipeline: the breaker is open with its break elapsed (this attempt was
    /// picked as its probe) or half-open, and Polly decides who probes.
    /// </summary>
    private ValueTask<Outcome<AttemptResult>> ProbeAsync(DestinationBreaker breaker)
        => breaker.ExecuteAsync(static (_, self) => self.ForwardAsync(), _breakerContext, this);

    /// <summary>
    /// Records the attempt (destinations tried, the attempts counter) and decides a retry on a transport failure; false
    /// when the breaker refused the attempt in a lost half-open race (nothing was sent: try another destination).
    /// </summary>
    private bool EndAttempt(DestinationState destination, ref Outcome<AttemptResult> outcome)
    {
        if (outcome.Exception is BrokenCircuitException)
        {
            _destinations.Rejected(destination);
            return false;
        }

        _destinations.Tried(destination);

        _telemetry.Attempt(Cluster.ClusterId, outcome.Exception is null ? outcome.Result.OutcomeLabel : "timeout");
        if (outcome.Exception is null && !outcome.Result.RetryCommitted)
        {
            var condition = outcome.Result.Kind switch
            {
                AttemptKind.ConnectFailure => RetryConditions.ConnectFailure,
                AttemptKind.Reset => RetryConditions.Reset,
                AttemptKind.Timeout => RetryConditions.PerTryTimeout,
                _ => RetryConditions.None,
            };
            if (condition != RetryConditions.None && TryCommitRetry(condition))
            {
                outcome = Outcome.FromResult(outcome.Result with { RetryCommitted = true, Reason = condition });
            }
        }

        return true;
    }

    /// <summary>What the request's last outcome means for the client: a timeout or circuit-open answer, or nothing to add.</summary>
    private void Finish(Outcome<AttemptResult> outcome)
    {
        var timedOut = (outcome.Exception is OperationCanceledException && Deadline.TotalFired)
            || (outcome.Exception is null && outcome.Result.Kind == AttemptKind.Timeout && !Context.Response.HasStarted)
            || (_grpc.IsGrpc && Context.Features.Get<GrpcStreamEnd>() is { Held: true });
        if (ClientAborted && (timedOut || outcome.Exception is OperationCanceledException))
        {
            // Nobody reads the answer.
            return;
        }

        if (timedOut)
        {
            _telemetry.TimedOut(Cluster.ClusterId, Attempts);
            Fail(Context, ProxyFailure.UpstreamTimeout);
            return;
        }

        outcome.ThrowIfException();
        if (outcome.Result.Kind == AttemptKind.CircuitOpen)
        {
            Fail(Context, ProxyFailure.CircuitOpen);
        }
    }

    /// <summary>Names the failure for the error-mapping step.</summary>
    internal static void Fail(HttpContext context, ProxyFailure failure)
    {
        // Whatever the last attempt left behind (a cancelled forward, a held-back response) is replaced.
        context.Features.Set<IForwarderErrorFeature>(null);
        context.Features.Set(ProxyFailureFeature.For(failure));
    }

    /// <summary>
    /// The attempt loop once a retry of the first attempt is decided: Polly's retry strategy runs from here. The first
    /// attempt ran outside it (a request that succeeds at once pays for no retry execution), so the strategy's first
    /// callback hands it that attempt's outcome without sending anything; Polly then schedules the retry (back-off with
    /// jitter, or the 429's Retry-After), counts it and runs the next attempts through <see cref="AttemptAsync"/>.
    /// </summary>
    public async Task<Outcome<AttemptResult>> RetryAsync(ResiliencePipeline<AttemptResult> retrying, Outcome<AttemptResult> first)
    {
        // The operation key names the cluster for the retry telemetry; the token (client, Total) cuts the retry delays.
        var context = ResilienceContextPool.Shared.Get(Cluster.ClusterId, Deadline.RequestToken);
        try
        {
            _firstOutcome = first;
            return await retrying.ExecuteOutcomeAsync(static (_, self) => self.NextAttemptAsync(), context, this).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private ValueTask<Outcome<AttemptResult>> NextAttemptAsync()
    {
        if (_firstOutcome is { } first)
        {
            _firstOutcome = null;
            return new ValueTask<Outcome<AttemptResult>>(first);
        }

        return AttemptAsync();
    }

    /// <summary>
    /// Called from the response transform with the upstream response headers, before any body is copied: holds the
    /// response back when it will be retried, otherwise lets it stream under Total.
    /// </summary>
    public void OnUpstreamResponse(ResponseTransformContext transform)
    {
        if (!HoldBackForRetry(transform))
        {
            Deadline.DisarmPerTry();
        }
    }

    internal static TimeSpan? ParseRetryAfter(RetryConditionHeaderValue? header, DateTimeOffset now)
    {
        if (header is null)
        {
            return null;
        }

        var delay = header.Delta ?? (header.Date is { } date ? date - now : null);
        return delay < TimeSpan.Zero ? TimeSpan.Zero : delay;
    }

    private bool HoldBackForRetry(ResponseTransformContext transform)
    {
        var response = transform.ProxyResponse;
        if (response is null || !Retryable)
        {
            return false;
        }

        var condition = RetryConditionsParser.ForStatus((int)response.StatusCode);
        if (condition == RetryConditions.None && _grpc.IsGrpc)
        {
            condition = GrpcRetryConditions.ForResponse(response);
        }

        if (condition == RetryConditions.None || (Policy.RetryOn & condition) == 0)
        {
            return false;
        }

        TimeSpan? retryAfter = null;
        if (condition == RetryConditions.Status429)
        {
            retryAfter = ParseRetryAfter(response.Headers.RetryAfter, _time.GetUtcNow());
            if (retryAfter > Policy.MaxDelay)
            {
                // Waiting less than the upstream asked would not honor it; the app gets the 429 and its Retry-After.
                return false;
            }
        }

        if (!TryCommitRetry(condition))
        {
            return false;
        }

        _committed = true;
        _committedReason = condition;
        _retryAfter = retryAfter;
        transform.SuppressResponseBody = true;
        return true;
    }

    /// <summary>The single place that decides a retry; withdraws from the budget exactly once per retry.</summary>
    private bool TryCommitRetry(RetryConditions condition)
    {
        if (!Retryable
            || (Policy.RetryOn & condition) == 0
            || _attempt > Policy.MaxRetries
            || Context.Response.HasStarted
            || _clientAborted.IsCancellationRequested
            || Deadline.TotalFired
            || _grpc.Body is { CanReplay: false }
            || !_destinations.AnyAdmitted())
        {
            // With every breaker open a retry could only answer circuit-open; the app is better served by this response.
            return false;
        }

        if (!Budget.TryWithdraw(Policy.Budget))
        {
            _telemetry.BudgetRefused(Cluster.ClusterId, RetryConditionsParser.Label(condition), Activity);
            return false;
        }

        // Traffic control: at most Limits:MaxConcurrentRetries retries of the cluster in flight (counted when refused).
        return Limits.ClusterLimiterRegistry.TryAcquireRetry(Context, Cluster.ClusterId);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Outcome<AttemptResult>> ForwardAsync()
    {
        var clientAborted = BeginForward();
        try
        {
            await _next(Context).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // An outcome, as a Polly execution would make of it: the attempt is counted and the request ends with it.
            return Outcome.FromException<AttemptResult>(e);
        }
        finally
        {
            Context.RequestAborted = clientAborted;
        }

        return Outcome.FromResult(Classify());
    }

    /// <summary>Readies the context for the forwarder; returns the client's token, to be restored when it returns.</summary>
    private CancellationToken BeginForward()
    {
        _committed = false;

        // YARP's forwarder cancels the upstream call on HttpContext.RequestAborted; for the length of this attempt it is
        // the attempt's token (client, Total, PerTry). Set here and restored around the one call that reads it.
        var clientAborted = Context.RequestAborted;
        Context.RequestAborted = Deadline.AttemptToken;
        if (_grpc.IsGrpc)
        {
            // The upstream learns what is left of the call's bound (its own deadline or Total), as gRPC servers expect.
            Context.Request.Headers[GrpcProtocol.TimeoutHeader] = GrpcTimeout.Format(Deadline.Remaining);
        }

        return clientAborted;
    }

    private AttemptResult Classify()
    {
        if (_committed)
        {
            return new AttemptResult(AttemptClassifier.ResponseKind(Context, _grpc.IsGrpc), Context.Response.StatusCode, RetryCommitted: true,
                _committedReason, _retryAfter);
        }

        return AttemptClassifier.Classify(Context, Feature, _clientAborted.IsCancellationRequested,
            Deadline.TotalFired || Deadline.PerTryFired, _grpc.IsGrpc);
    }

    private void PrepareRetry()
    {
        _destinations.BeginRetry(Context);

        // The held-back (or failed) attempt left only status and headers on the response; nothing reached the client.
        Context.Response.Clear();
        Context.Features.Set<IForwarderErrorFeature>(null);
        Feature.ProxiedDestination = null;

        _committed = false;
        _retryAfter = null;
        if (BodyBuffered)
        {
            Context.Request.Body.Position = 0;
        }

        _grpc.Body?.Rewind();
    }
}
