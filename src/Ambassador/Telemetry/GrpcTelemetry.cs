using System.Diagnostics;
using Ambassador.Policies.Grpc;
using Microsoft.AspNetCore.Http.Features;

namespace Ambassador.Telemetry;

/// <summary>
/// What telemetry records of a gRPC call: its status (from a trailers-only answer's headers or from the trailers),
/// the OpenTelemetry RPC span attributes, and a bounded metric label. Only gRPC requests pay for any of it.
/// </summary>
internal static class GrpcTelemetry
{
    public const string SystemAttribute = "rpc.system";
    public const string ServiceAttribute = "rpc.service";
    public const string MethodAttribute = "rpc.method";
    public const string StatusCodeAttribute = "rpc.grpc.status_code";

    /// <summary>The metric label of <c>ambassador.requests</c> for gRPC requests.</summary>
    public const string StatusLabel = "grpc_status";

    /// <summary>The call's gRPC status; null when the request is not gRPC or the answer carried none (a reset stream).</summary>
    public static int? StatusOf(HttpContext context, out bool isGrpc)
    {
        isGrpc = GrpcProtocol.IsGrpcRequest(context.Request);
        if (!isGrpc)
        {
            return null;
        }

        if (GrpcProtocol.TryParseStatus(context.Response.Headers[GrpcProtocol.StatusHeader], out var status))
        {
            return status;
        }

        var trailers = context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers;
        return trailers is not null && GrpcProtocol.TryParseStatus(trailers[GrpcProtocol.StatusHeader], out status) ? status : null;
    }

    /// <summary>
    /// The bounded label for a status: its code (the header text of a code the spec defines), <c>other</c> for any other
    /// number, <c>none</c> when there was none (a reset stream).
    /// </summary>
    public static string Label(int? status) => status is { } code ? GrpcProtocol.StatusText(code) ?? "other" : "none";

    /// <summary>Adds the OpenTelemetry RPC attributes to the request's server span (the path is <c>/package.Service/Method</c>).</summary>
    public static void TagSpan(Activity activity, HttpRequest request, int? status)
    {
        activity.SetTag(SystemAttribute, "grpc");
        var path = request.Path.Value;
        var slash = path is null ? -1 : path.IndexOf('/', 1);
        if (slash > 1)
        {
            activity.SetTag(ServiceAttribute, path![1..slash]);
            activity.SetTag(MethodAttribute, path[(slash + 1)..]);
        }

        if (status is { } code)
        {
            activity.SetTag(StatusCodeAttribute, code);
        }
    }
}
