namespace Ambassador.Policies.LoadBalancing;

/// <summary>
/// The peak-EWMA latency estimate of one destination (Finagle's and Linkerd's): a sample above the estimate replaces
/// it at once (the peak), one below pulls it down by an exponentially weighted moving average whose weight decays over
/// the window; without samples the estimate decays towards zero, so a destination left alone is tried again.
/// </summary>
internal sealed class PeakEwma
{
    private readonly Lock _lock = new();
    private double _estimateSeconds;
    private long _stamp;

    public PeakEwma(long now) => _stamp = now;

    /// <summary>Adds one attempt's latency observed at <paramref name="now"/> (timestamps of <see cref="TimeProvider.GetTimestamp"/>).</summary>
    public void Observe(double latencySeconds, long now, double windowSeconds, long frequency)
    {
        lock (_lock)
        {
            var decay = Decay(now, windowSeconds, frequency);
            _estimateSeconds = latencySeconds > _estimateSeconds
                ? latencySeconds
                : (_estimateSeconds * decay) + (latencySeconds * (1 - decay));
            _stamp = Math.Max(_stamp, now);
        }
    }

    /// <summary>The estimate at <paramref name="now"/>, decayed since the last sample.</summary>
    public double Estimate(long now, double windowSeconds, long frequency)
    {
        lock (_lock)
        {
            return _estimateSeconds * Decay(now, windowSeconds, frequency);
        }
    }

    private double Decay(long now, double windowSeconds, long frequency)
    {
        var elapsed = Math.Max(0, now - _stamp) / (double)frequency;
        return Math.Exp(-elapsed / windowSeconds);
    }
}
