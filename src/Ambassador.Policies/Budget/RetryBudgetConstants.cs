namespace Ambassador.Policies.Budget;

/// <summary>Defaults and limits of <see cref="RetryBudgetOptions"/>.</summary>
public static class RetryBudgetConstants
{
    /// <summary>Retries may add this share of the live request rate: 0.2 (Linkerd's default).</summary>
    public const double DefaultRatio = 0.2;

    /// <summary>Largest allowed ratio: 10.</summary>
    public const double MaxRatio = 10;

    /// <summary>Retries always allowed per second, whatever the request rate: 10 (Linkerd's default).</summary>
    public const int DefaultMinPerSecond = 10;

    /// <summary>Largest allowed <see cref="RetryBudgetOptions.MinPerSecond"/>: 10000.</summary>
    public const int MaxMinPerSecond = 10_000;

    /// <summary>Length of the sliding window in seconds: 10 (Linkerd's TTL).</summary>
    public const int WindowSeconds = 10;
}
