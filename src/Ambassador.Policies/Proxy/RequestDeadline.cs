namespace Ambassador.Policies.Proxy;

/// <summary>
/// A request's deadlines on one timer: <c>Total</c> for the whole request and <c>PerTry</c> for each attempt up to its
/// response headers. The timer is armed for whichever comes first; when it fires it cancels the attempt (PerTry) or the
/// request (Total, which also cancels the attempt). A Polly timeout cannot be used for PerTry: it cannot be disarmed
/// once the response streams to the client (Envoy's per_try_timeout semantics), and two timers per request cost twice.
/// Owned by one <see cref="RequestState"/> and reused with it: no allocation on a request that succeeds.
/// </summary>
internal sealed class RequestDeadline : IDisposable
{
    // Timers take at most ~49 days; a deadline further away than this is as good as none.
    private static readonly TimeSpan MaxTimerDelay = TimeSpan.FromDays(30);

    private readonly TimeProvider _time;
    private readonly ITimer _timer;
    private CancellationTokenSource _request = new();
    private CancellationTokenSource _attempt = new();
    private CancellationTokenRegistration _clientLink;
    private long _totalDue = long.MaxValue;
    private long _attemptDue = long.MaxValue;
    private long _armedDue = long.MaxValue;
    private volatile bool _perTryDisarmed;
    private volatile bool _totalFired;
    private volatile bool _perTryFired;
    private TimeSpan? _perTry;

    public RequestDeadline(TimeProvider time)
    {
        _time = time;

        // The timer outlives the request that creates it (it is pooled): it must not capture that request's context.
        var suppressed = ExecutionContext.IsFlowSuppressed() ? default(AsyncFlowControl?) : ExecutionContext.SuppressFlow();
        try
        {
            _timer = time.CreateTimer(static s => ((RequestDeadline)s!).OnTimer(), this, System.Threading.Timeout.InfiniteTimeSpan, System.Threading.Timeout.InfiniteTimeSpan);
        }
        finally
        {
            suppressed?.Undo();
        }
    }

    /// <summary>Cancelled by the client going away or by Total: the token of the Polly execution (retry delays).</summary>
    public CancellationToken RequestToken => _request.Token;

    /// <summary>Cancelled by the request token or by PerTry: the token the forwarder runs an attempt with.</summary>
    public CancellationToken AttemptToken => _attempt.Token;

    /// <summary>Total expired.</summary>
    public bool TotalFired => _totalFired;

    /// <summary>PerTry expired before the current attempt's response headers.</summary>
    public bool PerTryFired => _perTryFired;

    /// <summary>What is left of Total.</summary>
    public TimeSpan Remaining => _totalDue == long.MaxValue ? System.Threading.Timeout.InfiniteTimeSpan : Until(_totalDue, _time.GetTimestamp());

    /// <summary>Starts the request's clock.</summary>
    public void Start(long startTimestamp, TimeSpan total, TimeSpan? perTry, CancellationToken clientAborted)
    {
        _totalDue = startTimestamp + Ticks(total);
        _perTry = perTry;
        _clientLink = clientAborted.UnsafeRegister(static s => ((RequestDeadline)s!).CancelRequest(), this);
    }

    /// <summary>Arms the deadlines of a new attempt; false when Total has already passed.</summary>
    public bool StartAttempt()
    {
        if (_attempt.IsCancellationRequested)
        {
            // The previous attempt's PerTry fired: its source is spent (only on that slow path is a new one made).
            _attempt.Dispose();
            _attempt = new CancellationTokenSource();
            if (_request.IsCancellationRequested)
            {
                _attempt.Cancel();
            }
        }

        _perTryFired = false;
        _perTryDisarmed = false;
        var now = _time.GetTimestamp();
        if (_totalFired || now >= _totalDue)
        {
            return false;
        }

        _attemptDue = _perTry is { } perTry ? now + Ticks(perTry) : long.MaxValue;
        Arm(Math.Min(_attemptDue, _totalDue), now);
        return true;
    }

    /// <summary>
    /// The attempt's response goes to the client: PerTry has done its job (it bounds the wait for response headers) and
    /// the body streams under Total. The timer is not touched; if it fires for PerTry it re-arms itself for Total.
    /// </summary>
    public void DisarmPerTry() => _perTryDisarmed = true;

    /// <summary>
    /// Stops the clock. True when every part can serve another request; false when a source was cancelled or the timer
    /// may be firing right now (then the owner drops this object).
    /// </summary>
    public bool TryReset()
    {
        _clientLink.Dispose();
        _clientLink = default;
        _timer.Change(System.Threading.Timeout.InfiniteTimeSpan, System.Threading.Timeout.InfiniteTimeSpan);
        var reusable = Volatile.Read(ref _armedDue) > _time.GetTimestamp()
            && !_totalFired
            && _request.TryReset()
            && _attempt.TryReset();
        _totalDue = _attemptDue = long.MaxValue;
        Volatile.Write(ref _armedDue, long.MaxValue);
        _perTry = null;
        _perTryFired = _perTryDisarmed = false;
        return reusable;
    }

    public void Dispose()
    {
        _clientLink.Dispose();
        _timer.Dispose();
        _request.Dispose();
        _attempt.Dispose();
    }

    private void OnTimer()
    {
        var now = _time.GetTimestamp();
        if (now >= _totalDue)
        {
            _totalFired = true;
            CancelRequest();
            return;
        }

        if (!_perTryDisarmed && !_perTryFired)
        {
            if (now >= _attemptDue)
            {
                _perTryFired = true;
                Volatile.Read(ref _attempt).Cancel();
            }
            else
            {
                // Early (timers run on a coarser clock than the timestamps): wait for the rest of PerTry.
                Arm(Math.Min(_attemptDue, _totalDue), now);
                return;
            }
        }

        // PerTry disarmed or done: what is left is Total (a retry delay is cut by it too).
        Arm(_totalDue, now);
    }

    private void CancelRequest()
    {
        _request.Cancel();
        Volatile.Read(ref _attempt).Cancel();
    }

    private void Arm(long due, long now)
    {
        Volatile.Write(ref _armedDue, due);
        var delay = due == long.MaxValue ? System.Threading.Timeout.InfiniteTimeSpan : Until(due, now);
        _timer.Change(delay > MaxTimerDelay ? System.Threading.Timeout.InfiniteTimeSpan : delay, System.Threading.Timeout.InfiniteTimeSpan);
    }

    // Rounded up to whole milliseconds, the timer's resolution, so that it does not fire before the deadline.
    private TimeSpan Until(long due, long now) => due <= now
        ? TimeSpan.Zero
        : TimeSpan.FromMilliseconds(Math.Ceiling(_time.GetElapsedTime(now, due).TotalMilliseconds));

    private long Ticks(TimeSpan span) => span == System.Threading.Timeout.InfiniteTimeSpan || span >= TimeSpan.FromDays(365)
        ? long.MaxValue / 2
        : (long)(span.TotalSeconds * _time.TimestampFrequency);
}
