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
/// The one per-request object of the policy step: what the request's attempts share (policy, budget, deadlines,
/// what was tried) and the steps of one attempt. The policy step sets it as an HttpContext feature for the length of
/// the request, which is how the response transform reaches it; Polly's callbacks need none of it (the attempt's
/// outcome carries the retry decision). Pooled: a request that succeeds at once allocates nothing here, and what only
/// a retry needs (<see cref="RetryLedger"/>) is made when a retry is decided. The attempt's async state machines
/// come from the runtime's per-thread pool (<see cref="PoolingAsyncValueTaskMethodBuilder{TResult}"/>).
/// </summary>
internal sealed class RequestState
{
    private readonly DestinationBreakerRegistry _breakers;
    private readonly DestinationPicker _picker;
    private readonly ResilienceTelemetry _telemetry;
    private readonly TimeProvider _time;
    private readonly ResilienceContext _breakerContext;
    private RequestDelegate _next = null!;
    private IReadOnlyList<DestinationState> _available = [];
    private CancellationToken _clientAborted;
    private DestinationState? _first;
    private RetryLedger? _ledger;
    private HashSet<object>? _itemsBeforeAffinity;
    private int _attempt;
    private bool _committed;
    private RetryConditions _committedReason;
    private TimeSpan? _retryAfter;
    private GrpcCall _grpc;
    private Outcome<AttemptResult>? _firstOutcome;

    public RequestState(DestinationBreakerRegistry breakers, DestinationPicker picker, ResilienceTelemetry telemetry, TimeProvider time)
    {
        _breakers = breakers;
        _picker = picker;
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
        _available = feature.AvailableDestinations;
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
        _available = [];
        _clientAborted = default;
        _first = null;
        _ledger = null;
        _itemsBeforeAffinity = null;
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
        var destination = PickDestination();
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
        => breaker.Pipeline.ExecuteOutcomeAsync(static (_, self) => self.ForwardAsync(), _breakerContext, this);

    /// <summary>
    /// Records the attempt (destinations tried, the attempts counter) and decides a retry on a transport failure; false
    /// when the breaker refused the attempt in a lost half-open race (nothing was sent: try another destination).
    /// </summary>
    private bool EndAttempt(DestinationState destination, ref Outcome<AttemptResult> outcome)
    {
        if (outcome.Exception is BrokenCircuitException)
        {
            (_ledger ??= new RetryLedger(_first)).Rejected.Add(destination);
            return false;
        }

        if (_ledger is null)
        {
            _first = destination;
        }
        else
        {
            _ledger.Tried(destination);
        }

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
            || (outcome.Exception is null && outcome.Result.Kind == AttemptKind.Timeout && !Context.Response.HasStarted);
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

    internal static AttemptKind ClassifyTransport(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException hre)
            {
                return hre.HttpRequestError switch
                {
                    HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError
                        or HttpRequestError.ProxyTunnelError => AttemptKind.ConnectFailure,
                    _ => AttemptKind.Reset,
                };
            }
        }

        return AttemptKind.Reset;
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
            || !AnyDestinationAdmitted())
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
        var statusCode = Context.Response.StatusCode;
        if (_committed)
        {
            return new AttemptResult(AttemptKind.Response, statusCode, RetryCommitted: true, _committedReason, _retryAfter);
        }

        var error = Context.Features.Get<IForwarderErrorFeature>();
        if (error is null)
        {
            // No destination proxied: a step before the forwarder answered itself (session affinity's Return503Error).
            // The upstream was never contacted, so it is neither its failure nor worth a retry.
            return new AttemptResult(Feature.ProxiedDestination is null ? AttemptKind.OtherError : AttemptKind.Response, statusCode, false);
        }

        if (_clientAborted.IsCancellationRequested)
        {
            return new AttemptResult(AttemptKind.ClientError, statusCode, false);
        }

        if (Deadline.TotalFired || Deadline.PerTryFired)
        {
            // PerTry before the response headers is a timeout of this destination, retried like a failure; Total ends it all.
            return new AttemptResult(AttemptKind.Timeout, StatusCodes.Status504GatewayTimeout, false);
        }

        var kind = error.Error switch
        {
            ForwarderError.Request => ClassifyTransport(error.Exception),
            ForwarderError.RequestTimedOut => AttemptKind.Timeout,
            ForwarderError.RequestBodyDestination or ForwarderError.ResponseHeaders or ForwarderError.ResponseBodyDestination => AttemptKind.Reset,
            ForwarderError.RequestBodyClient or ForwarderError.ResponseBodyClient
                or ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.ResponseBodyCanceled => AttemptKind.ClientError,
            _ => AttemptKind.OtherError,
        };

        return new AttemptResult(kind, statusCode, false);
    }

    private void PrepareRetry()
    {
        _ledger ??= new RetryLedger(_first);

        // The held-back (or failed) attempt left only status and headers on the response; nothing reached the client.
        Context.Response.Clear();
        Context.Features.Set<IForwarderErrorFeature>(null);
        Feature.ProxiedDestination = null;
        if (_itemsBeforeAffinity is not null)
        {
            // The retry goes to another destination: its response must carry that destination's affinity key.
            foreach (var key in Context.Items.Keys.Where(k => !_itemsBeforeAffinity.Contains(k)).ToList())
            {
                Context.Items.Remove(key);
            }
        }

        _committed = false;
        _retryAfter = null;
        if (BodyBuffered)
        {
            Context.Request.Body.Position = 0;
        }

        _grpc.Body?.Rewind();
    }

    /// <summary>
    /// Chooses the attempt's destination among those YARP considers healthy and whose breaker admits traffic:
    /// untried ones first, never the previous one while another exists, then session affinity (first attempt only)
    /// and the cluster's load-balancing policy.
    /// </summary>
    private DestinationState? PickDestination()
    {
        var all = _available;
        var admitted = 0;
        for (var i = 0; i < all.Count; i++)
        {
            if (Admits(all[i]))
            {
                admitted++;
            }
        }

        if (admitted == 0)
        {
            return null;
        }

        IReadOnlyList<DestinationState> pool;
        if (admitted == all.Count && _ledger is null)
        {
            pool = all;
        }
        else
        {
            pool = Filter(all, untriedOnly: true, skip: null);
            if (pool.Count == 0)
            {
                pool = Filter(all, untriedOnly: false, skip: _ledger?.Last);
            }

            if (pool.Count == 0)
            {
                pool = Filter(all, untriedOnly: false, skip: null);
            }
        }

        if (pool.Count == 1)
        {
            return pool[0];
        }

        // The first attempt honors the request's session affinity when its destination is admitted; a retry goes
        // elsewhere by design (another instance first), and affinity then follows the cluster's FailurePolicy.
        if (_attempt == 1 && Cluster.Model.Config.SessionAffinity?.Enabled == true)
        {
            // Session affinity keeps per-request state in HttpContext.Items (the key it found, so that the response
            // is not re-affinitized); what an attempt added there is dropped before a retry (PrepareRetry).
            _itemsBeforeAffinity ??= [.. Context.Items.Keys];
            if (_picker.FindAffinitized(Context, Cluster, pool) is { } affine)
            {
                return affine;
            }
        }

        return _picker.PickDestination(Context, Cluster, pool);
    }

    private List<DestinationState> Filter(IReadOnlyList<DestinationState> all, bool untriedOnly, DestinationState? skip)
    {
        var result = new List<DestinationState>(all.Count);
        for (var i = 0; i < all.Count; i++)
        {
            var destination = all[i];
            if (ReferenceEquals(destination, skip) || (untriedOnly && _ledger is not null && _ledger.WasTried(destination)) || !Admits(destination))
            {
                continue;
            }

            result.Add(destination);
        }

        return result;
    }

    private bool AnyDestinationAdmitted()
    {
        for (var i = 0; i < _available.Count; i++)
        {
            if (Admits(_available[i]))
            {
                return true;
            }
        }

        return false;
    }

    private bool Admits(DestinationState destination)
    {
        if (_ledger is not null && _ledger.Rejected.Contains(destination))
        {
            return false;
        }

        var breaker = _breakers.Find(Cluster.ClusterId, destination.DestinationId);
        return breaker is null || breaker.Admits();
    }
}

/// <summary>What only a retried request needs to remember: the destinations it tried, in order, and those whose
/// breaker refused it within an attempt. Made when the first retry is decided (or a half-open race is lost).</summary>
internal sealed class RetryLedger
{
    private readonly List<DestinationState> _tried = new(4);

    public RetryLedger(DestinationState? first)
    {
        if (first is not null)
        {
            _tried.Add(first);
        }
    }

    /// <summary>Destinations whose breaker rejected the attempt (lost half-open races); skipped by this request.</summary>
    public List<DestinationState> Rejected { get; } = [];

    /// <summary>The destination of the last attempt.</summary>
    public DestinationState? Last => _tried.Count == 0 ? null : _tried[^1];

    public void Tried(DestinationState destination) => _tried.Add(destination);

    public bool WasTried(DestinationState destination) => _tried.Contains(destination);
}
