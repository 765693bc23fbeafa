namespace Ambassador.Policies.Retry;

/// <summary>Defaults and limits of <see cref="RetryPolicyOptions"/>.</summary>
public static class RetryConstants
{
    /// <summary>Retries after the first attempt: 2.</summary>
    public const int DefaultMaxRetries = 2;

    /// <summary>Smallest allowed <see cref="RetryPolicyOptions.MaxRetries"/>: 0 (retries off).</summary>
    public const int MinMaxRetries = 0;

    /// <summary>Largest allowed <see cref="RetryPolicyOptions.MaxRetries"/>: 10.</summary>
    public const int MaxMaxRetries = 10;

    /// <summary>Median delay before the first retry: 25 ms (Envoy's default base interval).</summary>
    public static readonly TimeSpan DefaultBaseDelay = TimeSpan.FromMilliseconds(25);

    /// <summary>Longest delay between attempts, and the longest <c>Retry-After</c> that is honored: 1 s.</summary>
    public static readonly TimeSpan DefaultMaxDelay = TimeSpan.FromSeconds(1);

    /// <summary>Smallest allowed delay setting: 1 ms.</summary>
    public const string MinDelayText = "00:00:00.001";

    /// <summary>Largest allowed delay setting: 1 min.</summary>
    public const string MaxDelayText = "00:01:00";

    /// <summary>Conditions retried by default: every supported one.</summary>
    public const string DefaultRetryOn = "connect-failure,reset,per-try-timeout,502,503,504,429";

    /// <summary>Replay limit for request bodies: 64 KiB.</summary>
    public const int DefaultMaxBufferedBodyBytes = 64 * 1024;

    /// <summary>Largest allowed <see cref="RetryPolicyOptions.MaxBufferedBodyBytes"/>: 16 MiB.</summary>
    public const int MaxMaxBufferedBodyBytes = 16 * 1024 * 1024;
}
