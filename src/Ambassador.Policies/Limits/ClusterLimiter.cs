using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Polly;
using Polly.RateLimiting;

namespace Ambassador.Policies.Limits;

/// <summary>
/// The concurrency limits of one cluster: a Polly rate-limiter pipeline over a <see cref="ConcurrencyLimiter"/> for
/// requests (in flight plus a bounded queue with a timeout), and a second limiter without a queue for retries in flight.
/// </summary>
internal sealed class ClusterLimiter : IDisposable
{
    private static readonly ResiliencePropertyKey<LimitRejection> RejectionKey = new("ambassador.limits.rejection");

    private readonly ConcurrencyLimiter _requests;
    private readonly ConcurrencyLimiter? _retries;
    private readonly TimeProvider _timeProvider;
    private readonly LimitsTelemetry _telemetry;

    public ClusterLimiter(string clusterId, LimitsPolicyOptions options, TimeProvider timeProvider, LimitsTelemetry telemetry)
    {
        ClusterId = clusterId;
        Options = options;
        _timeProvider = timeProvider;
        _telemetry = telemetry;
        _requests = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = options.MaxConcurrentRequests,
            QueueLimit = options.MaxQueuedRequests,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        _retries = options.MaxConcurrentRetries > 0
            ? new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = options.MaxConcurrentRetries, QueueLimit = 0 })
            : null;

        Pipeline = new ResiliencePipelineBuilder { TimeProvider = timeProvider }
            .AddRateLimiter(new RateLimiterStrategyOptions { RateLimiter = args => AcquireAsync(args.Context) })
            .Build();
    }

    public string ClusterId { get; }

    /// <summary>The options this limiter was built from; a reload with other values replaces it.</summary>
    public LimitsPolicyOptions Options { get; }

    /// <summary>Requests of the cluster holding a place now.</summary>
    public int InFlight => (int)(Options.MaxConcurrentRequests - _requests.GetStatistics()!.CurrentAvailablePermits);

    /// <summary>Requests of the cluster waiting for a place now.</summary>
    public int Queued => (int)_requests.GetStatistics()!.CurrentQueuedCount;

    /// <summary>Retries of the cluster in flight now.</summary>
    public int RetriesInFlight => _retries is null ? 0 : (int)(Options.MaxConcurrentRetries - _retries.GetStatistics()!.CurrentAvailablePermits);

    /// <summary>The Polly pipeline every request of the cluster runs through.</summary>
    public ResiliencePipeline Pipeline { get; }

    /// <summary>
    /// A place for the request if one is free right now (the happy path: no Polly execution, no queue, no timer), to be
    /// disposed when the request is done; null when the request has to go through <see cref="RunAsync"/> (queue or refusal).
    /// </summary>
    public RateLimitLease? TryEnter()
    {
        var lease = _requests.AttemptAcquire();
        if (lease.IsAcquired)
        {
            return lease;
        }

        lease.Dispose();
        return null;
    }

    /// <summary>
    /// Runs <paramref name="next"/> once the request holds a place; returns why it was turned away instead (it then never
    /// ran). A client that goes away while queued ends the wait: <see cref="OperationCanceledException"/>.
    /// </summary>
    public async ValueTask<LimitRejection> RunAsync(HttpContext context, RequestDelegate next)
    {
        var resilienceContext = ResilienceContextPool.Shared.Get(context.RequestAborted);
        try
        {
            var outcome = await Pipeline.ExecuteOutcomeAsync(
                static async (_, state) =>
                {
                    await state.next(state.context).ConfigureAwait(false);
                    return Outcome.FromResult(true);
                },
                resilienceContext,
                (context, next)).ConfigureAwait(false);

            if (outcome.Exception is RateLimiterRejectedException)
            {
                var reason = resilienceContext.Properties.GetValue(RejectionKey, LimitRejection.QueueFull);
                _telemetry.Rejected(ClusterId, reason);
                return reason;
            }

            outcome.ThrowIfException();
            return LimitRejection.None;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(resilienceContext);
        }
    }

    /// <summary>
    /// Takes a place for one retry, held until the response is complete; false (counted) when the retry limit is reached
    /// and the retry must not be made.
    /// </summary>
    public bool TryAcquireRetry(HttpContext context)
    {
        var lease = _retries?.AttemptAcquire();
        if (lease is { IsAcquired: true })
        {
            context.Response.RegisterForDispose(lease);
            return true;
        }

        lease?.Dispose();
        _telemetry.Rejected(ClusterId, LimitRejection.RetryLimit);
        return false;
    }

    public void Dispose()
    {
        _requests.Dispose();
        _retries?.Dispose();
    }

    private ValueTask<RateLimitLease> AcquireAsync(ResilienceContext context)
    {
        // A free place: no queue, no timer (the happy path).
        var lease = _requests.AttemptAcquire();
        if (lease.IsAcquired || Options.MaxQueuedRequests == 0)
        {
            if (!lease.IsAcquired)
            {
                context.Properties.Set(RejectionKey, LimitRejection.QueueFull);
            }

            return new ValueTask<RateLimitLease>(lease);
        }

        lease.Dispose();
        return WaitAsync(context);
    }

    private async ValueTask<RateLimitLease> WaitAsync(ResilienceContext context)
    {
        using var timeout = new CancellationTokenSource(Options.QueueTimeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, context.CancellationToken);
        try
        {
            var lease = await _requests.AcquireAsync(1, linked.Token).ConfigureAwait(false);
            if (!lease.IsAcquired)
            {
                context.Properties.Set(RejectionKey, LimitRejection.QueueFull);
            }

            return lease;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
            context.Properties.Set(RejectionKey, LimitRejection.QueueTimeout);
            return RefusedLease.Instance;
        }
    }

    /// <summary>The lease of a request whose wait in the queue timed out.</summary>
    private sealed class RefusedLease : RateLimitLease
    {
        public static readonly RefusedLease Instance = new();

        public override bool IsAcquired => false;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
