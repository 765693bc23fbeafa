using Ambassador.Policies.Retry;

namespace Ambassador.Policies.Grpc;

/// <summary>
/// Which gRPC answers a policy may retry. Only a trailers-only answer counts (HTTP 200 with <c>grpc-status</c> in the
/// response headers): it carries no message, so nothing of it has reached the client and the call can be sent again.
/// A status in the trailers of a stream that already sent messages is never a retry condition.
/// </summary>
internal static class GrpcRetryConditions
{
    /// <summary>Every gRPC condition; naming one in <c>RetryOn</c> allows retrying gRPC calls without <c>RetryNonIdempotent</c>.</summary>
    public const RetryConditions All = RetryConditions.GrpcUnavailable | RetryConditions.GrpcResourceExhausted
        | RetryConditions.GrpcCancelled | RetryConditions.GrpcDeadlineExceeded | RetryConditions.GrpcInternal;

    /// <summary>The condition of an upstream answer to a gRPC call, or <see cref="RetryConditions.None"/>.</summary>
    public static RetryConditions ForResponse(HttpResponseMessage response)
    {
        if (response.StatusCode != System.Net.HttpStatusCode.OK
            || !response.Headers.TryGetValues(GrpcProtocol.StatusHeader, out var values))
        {
            return RetryConditions.None;
        }

        return GrpcProtocol.TryParseStatus(values.FirstOrDefault(), out var status)
            ? ForStatus((GrpcStatusCode)status)
            : RetryConditions.None;
    }

    public static RetryConditions ForStatus(GrpcStatusCode status) => status switch
    {
        GrpcStatusCode.Unavailable => RetryConditions.GrpcUnavailable,
        GrpcStatusCode.ResourceExhausted => RetryConditions.GrpcResourceExhausted,
        GrpcStatusCode.Cancelled => RetryConditions.GrpcCancelled,
        GrpcStatusCode.DeadlineExceeded => RetryConditions.GrpcDeadlineExceeded,
        GrpcStatusCode.Internal => RetryConditions.GrpcInternal,
        _ => RetryConditions.None,
    };
}
