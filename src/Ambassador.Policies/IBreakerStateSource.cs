namespace Ambassador.Policies;

/// <summary>State of one destination's circuit breaker, as shown on <c>/admin/clusters</c>.</summary>
public enum BreakerState
{
    /// <summary>Traffic flows normally.</summary>
    Closed = 0,

    /// <summary>One probe is allowed through to test recovery.</summary>
    HalfOpen = 1,

    /// <summary>The destination is out of load balancing until the break duration ends.</summary>
    Open = 2,
}

/// <summary>Reports per-destination breaker state to the admin endpoints.</summary>
public interface IBreakerStateSource
{
    /// <summary>Returns the breaker state of <paramref name="destinationId"/> in <paramref name="clusterId"/>.</summary>
    BreakerState GetState(string clusterId, string destinationId);

    /// <summary>Returns the ejection count and return time of <paramref name="destinationId"/> in <paramref name="clusterId"/>.</summary>
    EjectionInfo GetEjection(string clusterId, string destinationId) => default;
}

/// <summary>A destination's outlier-ejection record, as shown on <c>/admin/clusters</c>.</summary>
/// <param name="Ejections">How many times the destination was ejected since its breaker was built.</param>
/// <param name="ReturnsAt">When an ejected destination gets its next probe; null when it is not ejected.</param>
public readonly record struct EjectionInfo(int Ejections, DateTimeOffset? ReturnsAt);
