namespace Ambassador.Policies;

/// <summary>Names shared by every resilience policy.</summary>
public static class PolicyConstants
{
    /// <summary>The configuration section that holds the named policies: <c>Ambassador:Policies</c>.</summary>
    public const string SectionPath = "Ambassador:Policies";

    /// <summary>The policy used by clusters that name none: <c>default</c>.</summary>
    public const string DefaultPolicyName = "default";

    /// <summary>
    /// The policy name that switches resilience off for a cluster: <c>none</c>. Its requests skip the policy step
    /// (no retries, breakers or policy timeouts; YARP's own activity timeout still applies).
    /// </summary>
    public const string NoPolicyName = "none";

    /// <summary>The cluster metadata key that selects a policy: <c>Policy</c>.</summary>
    public const string ClusterMetadataKey = "Policy";

    /// <summary>The request header that opts a single request out of retries when its value is <c>off</c>.</summary>
    public const string RetryOptOutHeader = "x-ambassador-retry";
}
