using Microsoft.AspNetCore.Http;

namespace Ambassador.Policies.Grpc;

/// <summary>What the policy step knows of a gRPC call: that it is one, its bound, and its replayable body.</summary>
/// <param name="IsGrpc">The request is a gRPC call.</param>
/// <param name="Total">The smaller of the call's <c>grpc-timeout</c> and the policy's Total.</param>
/// <param name="Body">The request body kept for replay as it streams, when gRPC retries are on.</param>
internal readonly record struct GrpcCall(bool IsGrpc, TimeSpan Total, ReplayableRequestBody? Body);

/// <summary>A gRPC call's deadline (<c>grpc-timeout</c>) as a bound on the request.</summary>
internal static class GrpcDeadline
{
    /// <summary>
    /// Lowers <paramref name="total"/> to the call's <c>grpc-timeout</c> when that is smaller; false when the header
    /// is malformed (gRPC servers answer that INTERNAL without running the call).
    /// </summary>
    public static bool TryBound(HttpRequest request, ref TimeSpan total)
    {
        if (!request.Headers.TryGetValue(GrpcProtocol.TimeoutHeader, out var values))
        {
            return true;
        }

        if (values.Count != 1 || !GrpcTimeout.TryParse(values[0], out var timeout))
        {
            return false;
        }

        if (timeout < total)
        {
            total = timeout;
        }

        return true;
    }
}
