using System.Diagnostics;
using System.Net.Http.Headers;
using Ambassador.Policies.Budget;
using Ambassador.Policies.Retry;
using Microsoft.AspNetCore.Http;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;
using Yarp.ReverseProxy.Transforms;

namespace Ambassador.Policies.Proxy;

/// <summary>
/// Everything one proxied request needs across its attempts. It is reachable from the Polly callbacks (through the
/// <see cref="ResilienceContext"/>) and from the response transform (through <see cref="Current"/>),
/// so the decision to retry a response is taken once, while its headers are known and before its body is copied.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable",
    Justification = "The per-try timer lives for one attempt and is disposed when that attempt ends (RunAttemptAsync).")]
internal sealed class RequestState
{
    /// <summary>The state of the request being forwarded on this async flow (read by the response transform).</summary>
    internal static readonly AsyncLocal<RequestState?> Current = new();

    private readonly ResilienceHandler _handler;
    private readonly RequestDelegate _next;
    private readonly IReadOnlyList<DestinationState> _available;
    private readonly CancellationToken _clientAborted;
    private List<DestinationState>? _tried;
    private List<DestinationState>? _rejected;
    private DestinationState? _last;
    private int _attempt;
    private bool _committed;
    private RetryConditions _pendingReason;
    private TimeSpan? _retryAfter;
    private Outcome<AttemptResult>? _firstOutcome;
    private TimeSpan _remainingTotal;
    private CancellationTokenSource? _perTry;
    private HashSet<object>? _itemsBeforeAffinity;

    public RequestState(
        ResilienceHandler handler,
        HttpContext context,
        RequestDelegate next,
        IReverseProxyFeature feature,
        ClusterState cluster,
        ResolvedPolicy policy,
        RetryBudget budget,
        bool retryable,
        bool bodyBuffered,
        long startTimestamp)
    {
        StartTimestamp = startTimestamp;
        _handler = handler;
        _next = next;
        Context = context;
        Feature = feature;
        Cluster = cluster;
        Policy = policy;
        Budget = budget;
        Retryable = retryable;
        BodyBuffered = bodyBuffered;
        _available = feature.AvailableDestinations;
        _clientAborted = context.RequestAborted;
        Activity = Activity.Current;
    }

    public HttpContext Context { get; }

    /// <summary>When the request entered the policy (<see cref="TimeProvider.GetTimestamp"/>).</summary>
    public long StartTimestamp { get; }

    public IReverseProxyFeature Feature { get; }

    public ClusterState Cluster { get; }

    public ResolvedPolicy Policy { get; }

    public RetryBudget Budget { get; }

    /// <summary>Whether this request may be retried at all (method, body, opt-out, policy).</summary>
    public bool Retryable { get; }

    public bool BodyBuffered { get; }

    /// <summary>The request's activity, for span events raised from Polly callbacks.</summary>
    public Activity? Activity { get; }

    /// <summary>Attempts started so far (1-based once running).</summary>
    public int Attempts => _attempt;

    /// <summary>Whether the client gave up on the request.</summary>
    public bool ClientAborted => _clientAborted.IsCancellationRequested;

    /// <summary>Retry predicate of the policy's Polly retry strategy.</summary>
    internal static bool ShouldRetry(ResilienceContext context, Outcome<AttemptResult> outcome)
    {
        if (!context.Properties.TryGetValue(ResilienceKeys.Request, out var state))
        {
            return false;
        }

        if (state._firstOutcome is not null)
        {
            // The replayed first attempt: its retry was already decided (and taken from the budget) before Polly ran.
            state._firstOutcome = null;
            return true;
        }

        return state.DecideAfterAttempt(outcome);
    }

    /// <summary>Timeout generator of the retry pipeline's outer timeout: what is left of Total.</summary>
    internal static TimeSpan RemainingTotalOf(ResilienceContext context)
        => context.Properties.TryGetValue(ResilienceKeys.Request, out var state) ? state._remainingTotal : TimeSpan.Zero;

    /// <summary>
    /// Runs the retries of a request whose first attempt (<paramref name="context"/>'s last outcome) asked for one,
    /// through the policy's Polly retry pipeline, within what is left of the Total timeout.
    /// </summary>
    internal async ValueTask<Outcome<AttemptResult>> RetryAsync(ResilienceContext context, Outcome<AttemptResult> first)
    {
        _remainingTotal = Policy.Total - _handler.TimeProvider.GetElapsedTime(StartTimestamp);
        if (_remainingTotal <= TimeSpan.Zero)
        {
            return Outcome.FromException<AttemptResult>(new TimeoutRejectedException(Policy.Total));
        }

        _firstOutcome = first;
        return await Policy.Retrying!.ExecuteOutcomeAsync(
            static (ctx, self) => self._firstOutcome is { } replayed ? new ValueTask<Outcome<AttemptResult>>(replayed) : self.RunAttemptAsync(ctx),
            context,
            this).ConfigureAwait(false);
    }

    /// <summary>Delay generator of the retry strategy: a 429's <c>Retry-After</c>, otherwise the exponential back-off.</summary>
    internal static TimeSpan? RetryAfterOf(ResilienceContext context)
        => context.Properties.TryGetValue(ResilienceKeys.Request, out var state) ? state._retryAfter : null;

    /// <summary>Called by Polly right before the back-off delay of a retry.</summary>
    internal static void OnRetry(ResilienceContext context, int attemptNumber, TimeSpan delay)
    {
        if (context.Properties.TryGetValue(ResilienceKeys.Request, out var state))
        {
            state._handler.OnRetry(state, RetryConditionsParser.Label(state._pendingReason), attemptNumber + 1, delay);
        }
    }

    /// <summary>One attempt: pick a destination its breaker admits, forward through that breaker, classify.</summary>
    internal static ValueTask<Outcome<AttemptResult>> RunAttemptAsync(ResilienceContext context, RequestState state)
        => state.RunAttemptAsync(context);

    /// <summary>Called from the response transform with the upstream response headers, before any body is copied.</summary>
    internal void OnUpstreamResponse(ResponseTransformContext transform)
    {
        if (!HoldBackForRetry(transform))
        {
            // This response goes to the client: PerTry has done its job (it bounds the wait for response headers),
            // and the body streams under Total, as Envoy's per_try_timeout does. Cutting a body mid-way would only
            // break a response the client is already reading.
            _perTry?.CancelAfter(System.Threading.Timeout.InfiniteTimeSpan);
        }
    }

    private bool HoldBackForRetry(ResponseTransformContext transform)
    {
        var response = transform.ProxyResponse;
        if (response is null || !Retryable)
        {
            return false;
        }

        var condition = RetryConditionsParser.ForStatus((int)response.StatusCode);
        if (condition == RetryConditions.None || (Policy.RetryOn & condition) == 0)
        {
            return false;
        }

        if (condition == RetryConditions.Status429)
        {
            var retryAfter = ParseRetryAfter(response.Headers.RetryAfter, _handler.TimeProvider.GetUtcNow());
            if (retryAfter > Policy.MaxDelay)
            {
                // Waiting less than the upstream asked would not honor it; the app gets the 429 and its Retry-After.
                return false;
            }

            _retryAfter = retryAfter;
        }

        if (!TryCommitRetry(condition))
        {
            return false;
        }

        _committed = true;
        transform.SuppressResponseBody = true;
        return true;
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

    /// <summary>Whether an attempt's outcome is retried; a retry decided here is taken from the budget.</summary>
    internal bool DecideAfterAttempt(Outcome<AttemptResult> outcome)
    {
        if (outcome.Exception is not null)
        {
            // Total expired (TimeoutRejectedException) or something unexpected: nothing left to retry with.
            return false;
        }

        var result = outcome.Result;
        if (result.RetryCommitted)
        {
            return true;
        }

        return result.Kind switch
        {
            AttemptKind.ConnectFailure => TryCommitRetry(RetryConditions.ConnectFailure),
            AttemptKind.Reset => TryCommitRetry(RetryConditions.Reset),
            AttemptKind.Timeout => TryCommitRetry(RetryConditions.PerTryTimeout),
            _ => false,
        };
    }

    /// <summary>The single place that decides a retry; withdraws from the budget exactly once per retry.</summary>
    private bool TryCommitRetry(RetryConditions condition)
    {
        if (!Retryable
            || (Policy.RetryOn & condition) == 0
            || _attempt > Policy.MaxRetries
            || Context.Response.HasStarted
            || _clientAborted.IsCancellationRequested
            || !AnyDestinationAdmitted())
        {
            // With every breaker open a retry could only answer circuit-open; the app is better served by this response.
            return false;
        }

        if (!Budget.TryWithdraw(Policy.Budget))
        {
            _handler.OnBudgetRefused(this, RetryConditionsParser.Label(condition));
            return false;
        }

        // Traffic control: at most Limits:MaxConcurrentRetries retries of the cluster in flight (counted when refused).
        if (!Limits.ClusterLimiterRegistry.TryAcquireRetry(Context, Cluster.ClusterId))
        {
            return false;
        }

        _pendingReason = condition;
        return true;
    }

    private async ValueTask<Outcome<AttemptResult>> RunAttemptAsync(ResilienceContext context)
    {
        _attempt++;
        if (_attempt > 1)
        {
            PrepareRetry();
        }

        // The attempt's token: the client's and Total (Polly's timeout, through the context), plus PerTry when set.
        // PerTry is one timer-driven source that the outer token also cancels (one object, not a timer plus a link).
        if (Policy.PerTry is not { } perTry)
        {
            return await RunAttemptAsync(context, context.CancellationToken).ConfigureAwait(false);
        }

        _perTry = new CancellationTokenSource(perTry, _handler.TimeProvider);
        var outer = context.CancellationToken.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), _perTry);
        try
        {
            return await RunAttemptAsync(context, _perTry.Token).ConfigureAwait(false);
        }
        finally
        {
            await outer.DisposeAsync().ConfigureAwait(false);
            _perTry.Dispose();
            _perTry = null;
        }
    }

    private async ValueTask<Outcome<AttemptResult>> RunAttemptAsync(ResilienceContext context, CancellationToken attemptToken)
    {
        while (true)
        {
            var destination = PickDestination();
            if (destination is null)
            {
                return Outcome.FromResult(AttemptResult.CircuitOpen);
            }

            var breaker = _handler.Breakers.Get(Cluster.ClusterId, destination.DestinationId, Policy.Breaker);
            Feature.AvailableDestinations = destination;

            // YARP's forwarder cancels the upstream call on HttpContext.RequestAborted; pointing it at the attempt's token
            // (linked to the client's) applies the per-try and total timeouts and still cancels on client abort.
            Context.RequestAborted = attemptToken;

            var outcome = await breaker.Pipeline.ExecuteOutcomeAsync(
                static (ctx, self) => self.ForwardAsync(ctx),
                context,
                this).ConfigureAwait(false);

            if (outcome.Exception is BrokenCircuitException)
            {
                // Lost a race for the half-open probe: nothing was sent, try another destination within this attempt.
                (_rejected ??= []).Add(destination);
                continue;
            }

            _last = destination;
            if (Retryable)
            {
                (_tried ??= []).Add(destination);
            }

            _handler.Telemetry.Attempt(Cluster.ClusterId, outcome.Exception is null ? outcome.Result.OutcomeLabel : "timeout");
            return outcome;
        }
    }

    private async ValueTask<Outcome<AttemptResult>> ForwardAsync(ResilienceContext context)
    {
        _committed = false;
        await _next(Context).ConfigureAwait(false);
        return Classify(context.CancellationToken);
    }

    private Outcome<AttemptResult> Classify(CancellationToken totalToken)
    {
        var statusCode = Context.Response.StatusCode;
        if (_committed)
        {
            return Outcome.FromResult(new AttemptResult(AttemptKind.Response, statusCode, RetryCommitted: true));
        }

        var error = Context.Features.Get<IForwarderErrorFeature>();
        if (error is null)
        {
            // No destination proxied: a step before the forwarder answered itself (session affinity's Return503Error).
            // The upstream was never contacted, so it is neither its failure nor worth a retry.
            return Outcome.FromResult(new AttemptResult(Feature.ProxiedDestination is null ? AttemptKind.OtherError : AttemptKind.Response, statusCode, false));
        }

        if (_clientAborted.IsCancellationRequested)
        {
            return Outcome.FromResult(new AttemptResult(AttemptKind.ClientError, statusCode, false));
        }

        if (totalToken.IsCancellationRequested)
        {
            // Total fired; Polly's timeout strategy turns this into a TimeoutRejectedException.
            return Outcome.FromException<AttemptResult>(new OperationCanceledException(totalToken));
        }

        if (_perTry?.IsCancellationRequested == true)
        {
            // PerTry fired before the response headers: a timeout of this destination, retried like a failure.
            return Outcome.FromResult(new AttemptResult(AttemptKind.Timeout, StatusCodes.Status504GatewayTimeout, false));
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

        return Outcome.FromResult(new AttemptResult(kind, statusCode, false));
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

    private void PrepareRetry()
    {
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

        _retryAfter = null;
        if (BodyBuffered)
        {
            Context.Request.Body.Position = 0;
        }
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
        if (admitted == all.Count && _tried is null)
        {
            pool = all;
        }
        else
        {
            pool = Filter(all, untriedOnly: true, skip: null);
            if (pool.Count == 0)
            {
                pool = Filter(all, untriedOnly: false, skip: _last);
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
        if (_tried is null && Cluster.Model.Config.SessionAffinity?.Enabled == true)
        {
            // Session affinity keeps per-request state in HttpContext.Items (the key it found, so that the response
            // is not re-affinitized); what an attempt added there is dropped before a retry (PrepareRetry).
            _itemsBeforeAffinity ??= [.. Context.Items.Keys];
            if (_handler.FindAffinitized(Context, Cluster, pool) is { } affine)
            {
                return affine;
            }
        }

        return _handler.PickDestination(Context, Cluster, pool);
    }

    private List<DestinationState> Filter(IReadOnlyList<DestinationState> all, bool untriedOnly, DestinationState? skip)
    {
        var result = new List<DestinationState>(all.Count);
        for (var i = 0; i < all.Count; i++)
        {
            var destination = all[i];
            if (ReferenceEquals(destination, skip) || (untriedOnly && _tried is not null && _tried.Contains(destination)) || !Admits(destination))
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
        if (_rejected is not null && _rejected.Contains(destination))
        {
            return false;
        }

        var breaker = _handler.Breakers.Find(Cluster.ClusterId, destination.DestinationId);
        return breaker is null || breaker.Admits();
    }
}
