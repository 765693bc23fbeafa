using System.ComponentModel.DataAnnotations;

namespace Ambassador.Policies.Budget;

/// <summary>
/// Retry budget (<c>...:Retry:Budget</c>): within any 10 s window, retries may not exceed
/// <c>Ratio × requests + MinPerSecond × 10</c>, so a failing upstream cannot be multiplied into a retry storm.
/// </summary>
public sealed class RetryBudgetOptions
{
    /// <summary>Share of the request rate that retries may add. Default 0.2, between 0 and 10.</summary>
    [Range(0d, RetryBudgetConstants.MaxRatio, ErrorMessage = "must be between {1} and {2}")]
    public double Ratio { get; set; } = RetryBudgetConstants.DefaultRatio;

    /// <summary>Retries per second always allowed, even at a low request rate. Default 10, between 0 and 10000.</summary>
    [Range(0, RetryBudgetConstants.MaxMinPerSecond, ErrorMessage = "must be between {1} and {2}")]
    public int MinPerSecond { get; set; } = RetryBudgetConstants.DefaultMinPerSecond;
}
