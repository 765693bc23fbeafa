using System.Diagnostics.CodeAnalysis;
using System.ComponentModel.DataAnnotations;

namespace Ambassador.Policies.Timeout;

/// <summary>Timeouts of a policy (<c>...:Timeout</c>); either one expiring answers 504 <c>upstream-timeout</c>.</summary>
public sealed class TimeoutPolicyOptions
{
    /// <summary>Time allowed for one attempt up to its response headers. Default 00:00:10; at most <see cref="Total"/>.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = TrimmingJustification.TimeSpanRange)]
    [Range(typeof(TimeSpan), TimeoutConstants.MinTimeoutText, TimeoutConstants.MaxTimeoutText, ErrorMessage = "must be between {1} and {2}")]
    public TimeSpan PerTry { get; set; } = TimeoutConstants.DefaultPerTry;

    /// <summary>Time allowed for the whole request, every attempt and delay included. Default 00:00:30.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = TrimmingJustification.TimeSpanRange)]
    [Range(typeof(TimeSpan), TimeoutConstants.MinTimeoutText, TimeoutConstants.MaxTimeoutText, ErrorMessage = "must be between {1} and {2}")]
    public TimeSpan Total { get; set; } = TimeoutConstants.DefaultTotal;
}
