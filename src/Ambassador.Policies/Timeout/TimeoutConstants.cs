namespace Ambassador.Policies.Timeout;

/// <summary>Defaults and limits of <see cref="TimeoutPolicyOptions"/>.</summary>
public static class TimeoutConstants
{
    /// <summary>Time allowed for one attempt: 10 s.</summary>
    public static readonly TimeSpan DefaultPerTry = TimeSpan.FromSeconds(10);

    /// <summary>Time allowed for the whole request, all attempts and delays included: 30 s.</summary>
    public static readonly TimeSpan DefaultTotal = TimeSpan.FromSeconds(30);

    /// <summary>Smallest allowed timeout: 10 ms (Polly's limit).</summary>
    public const string MinTimeoutText = "00:00:00.010";

    /// <summary>Largest allowed timeout: 1 day (Polly's limit).</summary>
    public const string MaxTimeoutText = "1.00:00:00";
}
