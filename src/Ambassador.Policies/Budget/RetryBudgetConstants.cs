namespace Ambassador.Policies.Budget;

/// <summary>Fixed parameters of <see cref="RetryBudget"/> (its options are declared in <see cref="PolicyOptionTable"/>).</summary>
public static class RetryBudgetConstants
{
    /// <summary>Length of the sliding window in seconds: 10 (Linkerd's TTL).</summary>
    public const int WindowSeconds = 10;
}
