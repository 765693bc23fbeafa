namespace Ambassador.App;

/// <summary>The app's health as the sidecar decides it (after hysteresis).</summary>
internal enum AppHealth
{
    /// <summary>Not enough probes yet to decide.</summary>
    Unknown,

    /// <summary>At least <see cref="AppHealthOptions.HealthyThreshold"/> consecutive passing probes.</summary>
    Healthy,

    /// <summary>At least <see cref="AppHealthOptions.UnhealthyThreshold"/> consecutive failed probes.</summary>
    Unhealthy,
}

/// <summary>What one probe found (Consul's HTTP-check reading of a status code).</summary>
internal enum ProbeOutcome
{
    /// <summary>2xx.</summary>
    Passing,

    /// <summary>429: alive but shedding load; counts as a success for the hysteresis.</summary>
    Warning,

    /// <summary>Any other status, a connection failure or a timeout.</summary>
    Failing,
}

/// <summary>
/// Consecutive-result hysteresis: the health flips only after <c>healthyThreshold</c> passing or
/// <c>unhealthyThreshold</c> failing probes in a row, so one slow answer never flaps registration or readiness.
/// Not thread-safe: the one probe loop owns it.
/// </summary>
internal sealed class AppHealthState
{
    public AppHealth Health { get; private set; } = AppHealth.Unknown;

    public int ConsecutiveSuccesses { get; private set; }

    public int ConsecutiveFailures { get; private set; }

    /// <summary>Records one probe; returns true when <see cref="Health"/> changed.</summary>
    public bool Record(ProbeOutcome outcome, int healthyThreshold, int unhealthyThreshold)
    {
        var before = Health;
        if (outcome == ProbeOutcome.Failing)
        {
            ConsecutiveFailures++;
            ConsecutiveSuccesses = 0;
            if (ConsecutiveFailures >= unhealthyThreshold)
            {
                Health = AppHealth.Unhealthy;
            }
        }
        else
        {
            ConsecutiveSuccesses++;
            ConsecutiveFailures = 0;
            if (ConsecutiveSuccesses >= healthyThreshold)
            {
                Health = AppHealth.Healthy;
            }
        }

        return Health != before;
    }
}

/// <summary>A snapshot of the app's health, published after every probe.</summary>
/// <param name="Address">The app's address.</param>
/// <param name="ProbeUri">The URL probed, or null when the app is not probed (no health path).</param>
/// <param name="Health">The decided health; <see cref="AppHealth.Healthy"/> when the app is not probed.</param>
/// <param name="Since">When <paramref name="Health"/> last changed.</param>
/// <param name="ConsecutiveSuccesses">Passing (or warning) probes in a row.</param>
/// <param name="ConsecutiveFailures">Failed probes in a row.</param>
/// <param name="LastProbe">The latest probe, or null before the first one.</param>
internal sealed record AppStatus(
    Uri Address,
    Uri? ProbeUri,
    AppHealth Health,
    DateTimeOffset Since,
    int ConsecutiveSuccesses,
    int ConsecutiveFailures,
    AppProbeResult? LastProbe)
{
    /// <summary>True when the app may be announced: healthy, or not probed at all.</summary>
    public bool IsServing => Health == AppHealth.Healthy;

    /// <summary>A short human description of the latest probe, for logs, readiness reasons and check notes.</summary>
    public string Describe() => LastProbe is null
        ? (ProbeUri is null ? "not probed (no Ambassador:App:HealthPath)" : "no probe yet")
        : $"{Health.ToString().ToLowerInvariant()}: GET {ProbeUri} {LastProbe.Detail} ({ConsecutiveSuccesses} passing / {ConsecutiveFailures} failing in a row)";
}

/// <summary>One probe.</summary>
/// <param name="At">When it started.</param>
/// <param name="Outcome">What it found.</param>
/// <param name="StatusCode">The app's status code, or null when it did not answer.</param>
/// <param name="Duration">How long it took.</param>
/// <param name="Detail">e.g. <c>HTTP 503</c>, <c>timed out after 1 s</c>, <c>connection refused</c>.</param>
internal sealed record AppProbeResult(DateTimeOffset At, ProbeOutcome Outcome, int? StatusCode, TimeSpan Duration, string Detail);
