namespace Ambassador.Policies.Budget;

/// <summary>
/// A cluster's retry budget over a sliding window of <see cref="RetryBudgetConstants.WindowSeconds"/> one-second buckets
/// (Linkerd's and tower's semantics): a retry is allowed while the retries already made in the window stay below
/// <c>ratio × requests + minPerSecond × window</c>. Thread-safe; counting a request is lock-free.
/// </summary>
internal sealed class RetryBudget
{
    private const int Buckets = RetryBudgetConstants.WindowSeconds;

    private readonly TimeProvider _timeProvider;
    private readonly Lock _lock = new();
    private readonly long[] _requests = new long[Buckets];
    private readonly long[] _retries = new long[Buckets];
    private long _currentSecond;

    public RetryBudget(TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
        _currentSecond = SecondOf(timeProvider.GetTimestamp());
    }

    /// <summary>Requests counted in the current window.</summary>
    public long Requests => Sum(_requests, _timeProvider.GetTimestamp());

    /// <summary>Retries counted in the current window.</summary>
    public long Retries => Sum(_retries, _timeProvider.GetTimestamp());

    /// <summary>Counts one original request (not a retry) at <paramref name="timestamp"/> (<see cref="TimeProvider.GetTimestamp"/>).</summary>
    public void RecordRequest(long timestamp)
    {
        // Hot path: one interlocked increment; the lock is taken only when a new second starts.
        var now = SecondOf(timestamp);
        if (now != Volatile.Read(ref _currentSecond))
        {
            Advance(now);
        }

        Interlocked.Increment(ref _requests[now % Buckets]);
    }

    /// <summary>Counts one original request now.</summary>
    public void RecordRequest() => RecordRequest(_timeProvider.GetTimestamp());

    /// <summary>Takes one retry from the budget; false when the budget is spent (the retry must not be made).</summary>
    public bool TryWithdraw(RetryBudgetOptions options)
    {
        var timestamp = _timeProvider.GetTimestamp();
        var now = SecondOf(timestamp);
        lock (_lock)
        {
            Advance(now);
            var allowed = (options.Ratio * Sum(_requests, timestamp)) + ((double)options.MinPerSecond * Buckets);
            if (Sum(_retries, timestamp) + 1 > allowed)
            {
                return false;
            }

            Interlocked.Increment(ref _retries[now % Buckets]);
            return true;
        }
    }

    private long SecondOf(long timestamp) => timestamp / _timeProvider.TimestampFrequency;

    private long Sum(long[] buckets, long timestamp)
    {
        Advance(SecondOf(timestamp));
        long total = 0;
        for (var i = 0; i < Buckets; i++)
        {
            total += Volatile.Read(ref buckets[i]);
        }

        return total;
    }

    private void Advance(long now)
    {
        if (now <= Volatile.Read(ref _currentSecond))
        {
            return;
        }

        lock (_lock)
        {
            var current = _currentSecond;
            if (now <= current)
            {
                return;
            }

            // Clear the buckets of the seconds that slid out of the window (at most all of them). A request counted
            // concurrently into a bucket being cleared may be lost: the budget is an estimate, it never drifts.
            var steps = Math.Min(now - current, Buckets);
            for (var i = 1; i <= steps; i++)
            {
                var index = (current + i) % Buckets;
                Volatile.Write(ref _requests[index], 0);
                Volatile.Write(ref _retries[index], 0);
            }

            Volatile.Write(ref _currentSecond, now);
        }
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
