namespace Ambassador.Policies.Proxy;

/// <summary>
/// Why Ambassador answers a request itself instead of passing an upstream response on. A step that cannot forward
/// names the failure (<see cref="ProxyFailureFeature"/>); the error-mapping step turns it into the one answer for it.
/// </summary>
public enum ProxyFailure
{
    /// <summary>Nothing went wrong.</summary>
    None,

    /// <summary>No route matches (404 <c>no-route</c>).</summary>
    NoRoute,

    /// <summary>The request's framing is ambiguous (400 <c>bad-request</c>).</summary>
    AmbiguousFraming,

    /// <summary>The request's Content-Length is not <c>1*DIGIT</c> (400 <c>bad-request</c>).</summary>
    InvalidContentLength,

    /// <summary>A line of the request head ends with LF alone (400 <c>bad-request</c>).</summary>
    BareLineFeed,

    /// <summary>An HTTP/1.0 request carries Transfer-Encoding (400 <c>bad-request</c>).</summary>
    TransferEncodingInHttp10,

    /// <summary>The request body could not be read (400 <c>bad-request</c>).</summary>
    BadRequestBody,

    /// <summary>The request body is larger than the route allows (413 <c>body-too-large</c>).</summary>
    BodyTooLarge,

    /// <summary>The cluster has no resolved or healthy destination (503 <c>no-healthy-destination</c>).</summary>
    NoHealthyDestination,

    /// <summary>Every destination's breaker is open (503 <c>circuit-open</c>).</summary>
    CircuitOpen,

    /// <summary>Per-try, total or YARP's activity timeout (504 <c>upstream-timeout</c>).</summary>
    UpstreamTimeout,

    /// <summary>Connect or reset failure after the last attempt (502 <c>upstream-unavailable</c>).</summary>
    UpstreamUnavailable,

    /// <summary>A gRPC call's <c>grpc-timeout</c> is malformed (400 <c>bad-request</c>, gRPC INTERNAL).</summary>
    InvalidGrpcTimeout,

    /// <summary>The cluster's requests in flight and queue are full (503 <c>overloaded</c>).</summary>
    Overloaded,

    /// <summary>The request waited in the cluster's queue longer than its queue timeout (503 <c>overloaded</c>).</summary>
    OverloadedQueueTimeout,
}

/// <summary>
/// The failure a proxy step reports to the error-mapping step. One immutable instance per failure, so naming one
/// allocates nothing; it is set only on the failure path.
/// </summary>
public sealed class ProxyFailureFeature
{
    private static readonly ProxyFailureFeature[] Instances = [.. Enum.GetValues<ProxyFailure>().Select(f => new ProxyFailureFeature(f))];

    private ProxyFailureFeature(ProxyFailure failure) => Failure = failure;

    /// <summary>What went wrong.</summary>
    public ProxyFailure Failure { get; }

    /// <summary>The shared instance for <paramref name="failure"/>.</summary>
    public static ProxyFailureFeature For(ProxyFailure failure) => Instances[(int)failure];
}
