using Ambassador.Policies.Budget;

namespace Ambassador.Policies.Retry;

/// <summary>Retry settings of a policy (<c>Ambassador:Policies:&lt;name&gt;:Retry</c>); declared in <see cref="PolicyOptionTable"/>.</summary>
public sealed class RetryPolicyOptions
{
    /// <summary>See <see cref="PolicyOptionTable.MaxRetries"/>.</summary>
    public int MaxRetries { get; set; } = PolicyOptionTable.MaxRetries.Default;

    /// <summary>See <see cref="PolicyOptionTable.BaseDelay"/>.</summary>
    public TimeSpan BaseDelay { get; set; } = PolicyOptionTable.BaseDelay.Default;

    /// <summary>See <see cref="PolicyOptionTable.MaxDelay"/>.</summary>
    public TimeSpan MaxDelay { get; set; } = PolicyOptionTable.MaxDelay.Default;

    /// <summary>See <see cref="PolicyOptionTable.RetryOn"/>.</summary>
    public string RetryOn { get; set; } = PolicyOptionTable.RetryOn.Default!;

    /// <summary>See <see cref="PolicyOptionTable.RetryNonIdempotent"/>.</summary>
    public bool RetryNonIdempotent { get; set; } = PolicyOptionTable.RetryNonIdempotent.Default;

    /// <summary>See <see cref="PolicyOptionTable.MaxBufferedBodyBytes"/>.</summary>
    public int MaxBufferedBodyBytes { get; set; } = PolicyOptionTable.MaxBufferedBodyBytes.Default;

    /// <summary>The retry budget of every cluster using this policy.</summary>
    public RetryBudgetOptions Budget { get; set; } = new();
}
