namespace Ambassador.Policies.Timeout;

/// <summary>Timeouts of a policy (<c>...:Timeout</c>); either one expiring answers 504 <c>upstream-timeout</c>.</summary>
public sealed class TimeoutPolicyOptions
{
    /// <summary>See <see cref="PolicyOptionTable.PerTry"/>.</summary>
    public TimeSpan PerTry { get; set; } = PolicyOptionTable.PerTry.Default;

    /// <summary>See <see cref="PolicyOptionTable.Total"/>.</summary>
    public TimeSpan Total { get; set; } = PolicyOptionTable.Total.Default;
}
