namespace Ambassador.Policies.Budget;

/// <summary>
/// A cluster's retry budget over a sliding window of <see cref="RetryBudgetConstants.WindowSeconds"/> one-second buckets
/// (Linkerd's and tower's semantics): a retry is allowed while the retries already made in the window stay below
/// <c>ratio × requests + minPerSecond × window</c>. Thread-safe.
/// </summary>
internal sealed class RetryBudget
{
    private const int Buckets = RetryBudgetConstants.WindowSeconds;

    private readonly TimeProvider _timeProvider;
    private readonly Lock _lock = new();
    private readonly long[] _requests = new long[Buckets];
    private readonly long[] _retries = new long[Buckets];
    private long _requestTotal;
    private long _retryTotal;
    private long _currentSecond;

    public RetryBudget(TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
        _currentSecond = NowSeconds();
    }

    /// <summary>Requests counted in the current window.</summary>
    public long Requests
    {
        get
        {
            lock (_lock)
            {
                Advance_NeedsLock(NowSeconds());
                return _requestTotal;
            }
        }
    }

    /// <summary>Retries counted in the current window.</summary>
    public long Retries
    {
        get
        {
            lock (_lock)
            {
                Advance_NeedsLock(NowSeconds());
                return _retryTotal;
            }
        }
    }

    /// <summary>Counts one original request (not a retry).</summary>
    public void RecordRequest()
    {
        var now = NowSeconds();
        lock (_lock)
        {
            Advance_NeedsLock(now);
            _requests[now % Buckets]++;
            _requestTotal++;
        }
    }

    /// <summary>Takes one retry from the budget; false when the budget is spent (the retry must not be made).</summary>
    public bool TryWithdraw(RetryBudgetOptions options)
    {
        var now = NowSeconds();
        lock (_lock)
        {
            Advance_NeedsLock(now);
            var allowed = (options.Ratio * _requestTotal) + ((double)options.MinPerSecond * Buckets);
            if (_retryTotal + 1 > allowed)
            {
                return false;
            }

            _retries[now % Buckets]++;
            _retryTotal++;
            return true;
        }
    }

    private long NowSeconds() => _timeProvider.GetTimestamp() / _timeProvider.TimestampFrequency;

    private void Advance_NeedsLock(long now)
    {
        if (now <= _currentSecond)
        {
            return;
        }

        // Clear the buckets of the seconds that slid out of the window (at most all of them).
        var steps = Math.Min(now - _currentSecond, Buckets);
        for (var i = 1; i <= steps; i++)
        {
            var index = (_currentSecond + i) % Buckets;
            _requestTotal -= _requests[index];
            _retryTotal -= _retries[index];
            _requests[index] = 0;
            _retries[index] = 0;
        }

        _currentSecond = now;
    }
}

/// <summary>One <see cref="RetryBudget"/> per cluster.</summary>
internal sealed class RetryBudgetRegistry(TimeProvider timeProvider)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, RetryBudget> _budgets = new(StringComparer.Ordinal);

    /// <summary>The budget of <paramref name="clusterId"/>, created on first use.</summary>
    public RetryBudget Get(string clusterId)
        => _budgets.TryGetValue(clusterId, out var budget)
            ? budget
            : _budgets.GetOrAdd(clusterId, static (_, tp) => new RetryBudget(tp), timeProvider);
}
