namespace Ambassador.Policies.Limits;

/// <summary>Why a cluster's concurrency limits turned a request or a retry away.</summary>
public enum LimitRejection
{
    /// <summary>Nothing was turned away.</summary>
    None = 0,

    /// <summary>Every place in flight and in the queue was taken (<c>MaxConcurrentRequests</c>, <c>MaxQueuedRequests</c>).</summary>
    QueueFull,

    /// <summary>The request waited in the queue longer than <c>QueueTimeout</c>.</summary>
    QueueTimeout,

    /// <summary>A retry would have put more than <c>MaxConcurrentRetries</c> retries in flight.</summary>
    RetryLimit,
}
