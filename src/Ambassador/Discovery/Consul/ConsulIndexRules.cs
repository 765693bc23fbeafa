namespace Ambassador.Discovery.Consul;

/// <summary>
/// The blocking-query rules from Consul's documentation ("Blocking Queries", implementation details):
/// reset the index when it goes backwards, never block on an index below 1, rate-limit the loop, back off on errors.
/// Pure functions so they can be tested with a fake clock.
/// </summary>
internal static class ConsulIndexRules
{
    /// <summary>
    /// The index to send next, given the one just sent (<paramref name="sent"/>, 0 = none) and the one Consul returned
    /// (<paramref name="returned"/>, 0 when the header was missing or not a number).
    /// </summary>
    /// <returns>
    /// 0 (next query does not block and reads afresh) when the index went backwards; otherwise the returned index,
    /// raised to at least 1 so a buggy zero can never make a blocking query return at once forever.
    /// </returns>
    public static long NextIndex(long sent, long returned)
    {
        if (returned < sent)
        {
            return 0;
        }

        return Math.Max(returned, 1);
    }

    /// <summary>
    /// Whether an answer is progress (Consul returned a real index newer than the one sent), which decides the rate
    /// limit. A zero, missing, equal or smaller index is not progress.
    /// </summary>
    public static bool IsProgress(long sent, long returned) => returned > 0 && returned > sent;

    /// <summary>
    /// How long to wait before starting the next query, so that two queries start at least
    /// <see cref="ConsulConstants.MinIntervalWithProgress"/> (after progress) or
    /// <see cref="ConsulConstants.MinIntervalWithoutProgress"/> (otherwise) apart.
    /// </summary>
    public static TimeSpan RateLimitDelay(DateTimeOffset previousStart, DateTimeOffset now, bool progress)
    {
        var minimum = progress ? ConsulConstants.MinIntervalWithProgress : ConsulConstants.MinIntervalWithoutProgress;
        var elapsed = now - previousStart;
        return elapsed >= minimum ? TimeSpan.Zero : minimum - elapsed;
    }

    /// <summary>
    /// The back-off after <paramref name="consecutiveFailures"/> (≥ 1) failed queries: exponential from
    /// <see cref="ConsulConstants.BackoffBase"/> up to <see cref="ConsulConstants.BackoffMax"/>, with "equal jitter"
    /// (half fixed, half random) so several sidecars do not retry Consul in lockstep.
    /// </summary>
    /// <param name="consecutiveFailures">Failures in a row, at least 1.</param>
    /// <param name="random01">A random number in [0, 1).</param>
    public static TimeSpan Backoff(int consecutiveFailures, double random01)
    {
        var exponent = Math.Clamp(consecutiveFailures - 1, 0, 30);
        var ceiling = Math.Min(
            ConsulConstants.BackoffBase.Ticks * Math.Pow(2, exponent),
            ConsulConstants.BackoffMax.Ticks);
        var half = ceiling / 2;
        return TimeSpan.FromTicks((long)(half + (half * Math.Clamp(random01, 0, 1))));
    }
}
