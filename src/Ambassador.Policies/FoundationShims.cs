// TEMPORARY: stand-ins for types the foundation provides on main; deleted when main is merged.
namespace Ambassador.Policies;

/// <summary>Telemetry names.</summary>
public static class AmbassadorTelemetry
{
    /// <summary>Meter name.</summary>
    public const string MeterName = "Ambassador";

    /// <summary>ActivitySource name.</summary>
    public const string ActivitySourceName = "Ambassador";
}

/// <summary>Breaker state.</summary>
public enum BreakerState
{
    /// <summary>Closed.</summary>
    Closed,

    /// <summary>Half open.</summary>
    HalfOpen,

    /// <summary>Open.</summary>
    Open,
}

/// <summary>Breaker state source.</summary>
public interface IBreakerStateSource
{
    /// <summary>Gets the state.</summary>
    BreakerState GetState(string clusterId, string destinationId);
}
