namespace Ambassador.Policies.LoadBalancing;

/// <summary>
/// One attempt to a <c>PeakEwma</c> cluster while it runs: when it started and when the upstream's response headers
/// arrived. It is an HttpContext feature for the length of the attempt, because the response transform that sees the
/// headers arrive and the per-attempt step that records the sample share nothing else. Pooled by
/// <see cref="AttemptLatencyRecorder"/>, so a request allocates nothing for it.
/// </summary>
internal sealed class PeakEwmaAttempt
{
    /// <summary>Timestamp (<see cref="TimeProvider.GetTimestamp"/>) of the attempt's start.</summary>
    public long Started { get; set; }

    /// <summary>Timestamp of the response headers' arrival; 0 while none arrived (or the attempt got no response).</summary>
    public long HeadersArrived { get; set; }
}
