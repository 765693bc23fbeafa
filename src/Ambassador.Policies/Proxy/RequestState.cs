using System.Diagnostics;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using Ambassador.Policies.Budget;
using Ambassador.Policies.CircuitBreaker;
using Ambassador.Policies.Grpc;
using Ambassador.Policies.Retry;
using Ambassador.Policies.Telemetry;
using Microsoft.AspNetCore.Http;
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

    public RequestState(DestinationBreakerRegistry breakers, DestinationPicker picker, ResilienceTelemetry telemetry, TimeProvider time)
    {
        _breakers = breakers;
        _picker = picker;
        _telemetry = telemetry;
        _time = time;
        Deadline = new RequestDeadline(time);
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
        return Deadline.TryReset();
    }

    /// <summary>
    /// One attempt (Polly's retry callback): pick a destination its breaker admits, forward through that breaker,
    /// classify, and decide here whether it is retried (the outcome says so to Polly's predicate).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<Outcome<AttemptResult>> AttemptAsync(ResilienceContext context)
    {
        _attempt++;
        if (_attempt > 1)
        {
            PrepareRetry();
        }

        if (!Deadline.StartAttempt())
        {
            return Outcome.FromResult(new AttemptResult(AttemptKind.Timeout, StatusCodes.Status504GatewayTimeout, false));
        }

        while (true)
        {
            var destination = PickDestination();
            if (destination is null)
            {
                return Outcome.FromResult(AttemptResult.CircuitOpen);
            }

            var breaker = _breakers.Get(Cluster.ClusterId, destination.DestinationId, Policy.Breaker);
            Feature.AvailableDestinations = destination;
            var outcome = await breaker.Pipeline.ExecuteOutcomeAsync(
                static (_, self) => self.ForwardAsync(),
                context,
                this).ConfigureAwait(false);

            if (outcome.Exception is BrokenCircuitException)
            {
                // Lost a race for the half-open probe: nothing was sent, try another destination within this attempt.
                (_ledger ??= new RetryLedger(_first)).Rejected.Add(destination);
                continue;
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
                    return Outcome.FromResult(outcome.Result with { RetryCommitted = true, Reason = condition });
                }
            }

            return outcome;
        }
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
        _committed = false;

        // YARP's forwarder cancels the upstream call on HttpContext.RequestAborted; for the length of this attempt it is
        // the attempt's token (client, Total, PerTry). Set and restored here, around the one call that reads it.
        var clientAborted = Context.RequestAborted;
        Context.RequestAborted = Deadline.AttemptToken;
        if (_grpc.IsGrpc)
        {
            // The upstream learns what is left of the call's bound (its own deadline or Total), as gRPC servers expect.
            Context.Request.Headers[GrpcProtocol.TimeoutHeader] = GrpcTimeout.Format(Deadline.Remaining);
        }

        try
        {
            await _next(Context).ConfigureAwait(false);
        }
        finally
        {
            Context.RequestAborted = clientAborted;
        }

        return Outcome.FromResult(Classify());
    }

    private AttemptResult Classify()
    {
        var statusCode = Context.Response.StatusCode;
        if (_committed)
        {
            return new AttemptResult(ResponseKind(), statusCode, RetryCommitted: true, _committedReason, _retryAfter);
        }

        var error = Context.Features.Get<IForwarderErrorFeature>();
        if (error is null)
        {
            // No destination proxied: a step before the forwarder answered itself (session affinity's Return503Error).
            // The upstream was never contacted, so it is neither its failure nor worth a retry.
            return new AttemptResult(Feature.ProxiedDestination is null ? AttemptKind.OtherError : ResponseKind(), statusCode, false);
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

    // The gRPC step's classification of an upstream answer: a trailers-only UNAVAILABLE counts like a 503.
    private AttemptKind ResponseKind() =>
        _grpc.IsGrpc && GrpcProtocol.IsUnavailableAnswer(Context) ? AttemptKind.Unavailable : AttemptKind.Response;

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
