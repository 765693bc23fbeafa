using System.Collections.Concurrent;

namespace Ambassador.Policies.Logging;

/// <summary>The interval every throttled warning of Ambassador uses.</summary>
internal static class LogThrottle
{
    /// <summary>Repeats of one line within this interval are counted into the next line, not logged.</summary>
    public static readonly TimeSpan RepeatInterval = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Collapses repeats of one warning: the first occurrence of a key in an interval is logged, the rest of the
/// interval's occurrences are only counted, and the next line logged for that key carries the count.
/// </summary>
/// <remarks>
/// Microsoft.Extensions.Logging has filters by category and level but nothing that counts repeats, and no package
/// on the list does it for ILogger (Serilog's and NLog's limiters need their own logging pipelines, which the
/// console-logging sidecar does not use), so this small class does. Keys are bounded by the configuration
/// (clusters, destinations, error kinds); the table is still capped so that churn of discovered destinations
/// cannot grow it without end.
/// </remarks>
/// <typeparam name="TKey">What makes two lines "the same".</typeparam>
internal sealed class LogThrottle<TKey>
    where TKey : notnull
{
    private const int MaxKeys = 4096;
    private readonly ConcurrentDictionary<TKey, Window> _windows = new();
    private readonly TimeProvider _time;
    private readonly long _intervalTicks;

    public LogThrottle(TimeProvider time, TimeSpan interval)
    {
        _time = time;
        _intervalTicks = (long)(interval.TotalSeconds * time.TimestampFrequency);
    }

    /// <summary>
    /// Counts one occurrence of <paramref name="key"/>. True when it is to be logged now; then
    /// <paramref name="suppressed"/> is how many occurrences were held back since the last line for this key.
    /// </summary>
    public bool ShouldLog(TKey key, out int suppressed)
    {
        var now = _time.GetTimestamp();
        if (!_windows.TryGetValue(key, out var window))
        {
            if (_windows.Count >= MaxKeys)
            {
                _windows.Clear();
            }

            window = _windows.GetOrAdd(key, static _ => new Window());
        }

        lock (window)
        {
            if (window.Logged && now - window.Start < _intervalTicks)
            {
                window.Suppressed++;
                suppressed = 0;
                return false;
            }

            suppressed = window.Suppressed;
            window.Logged = true;
            window.Start = now;
            window.Suppressed = 0;
            return true;
        }
    }

    private sealed class Window
    {
        public bool Logged;
        public long Start;
        public int Suppressed;
    }
}
