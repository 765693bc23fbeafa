namespace Ambassador.Policies.Budget;

/// <summary>
/// Retry budget (<c>...:Retry:Budget</c>): within any 10 s window, retries may not exceed
/// <c>Ratio × requests + MinPerSecond × 10</c>, so a failing upstream cannot be multiplied into a retry storm.
/// </summary>
public sealed class RetryBudgetOptions
{
    /// <summary>See <see cref="PolicyOptionTable.BudgetRatio"/>.</summary>
    public double Ratio { get; set; } = PolicyOptionTable.BudgetRatio.Default;

    /// <summary>See <see cref="PolicyOptionTable.BudgetMinPerSecond"/>.</summary>
    public int MinPerSecond { get; set; } = PolicyOptionTable.BudgetMinPerSecond.Default;
}
