using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ambassador.Policies.Grpc;

namespace Ambassador.Hosting;

/// <summary>
/// Writes the errors Ambassador makes itself: RFC 9457 <c>application/problem+json</c> plus the header
/// <c>x-ambassador-error: &lt;reason&gt;</c>, so the app can tell a proxy error from an upstream one. A gRPC caller
/// gets the same error as a gRPC trailers-only answer instead (HTTP 200, <c>grpc-status</c>, <c>grpc-message</c>),
/// because a gRPC client reads any other HTTP status as a protocol error (INTERNAL) and would hide the reason.
/// </summary>
public static class ProxyProblem
{
    /// <summary>The header naming the reason of an error made by Ambassador.</summary>
    public const string ErrorHeader = "x-ambassador-error";

    /// <summary>No route matches the request (404).</summary>
    public const string NoRoute = "no-route";

    /// <summary>The cluster has no resolved or healthy destination (503).</summary>
    public const string NoHealthyDestination = "no-healthy-destination";

    /// <summary>Every destination's breaker is open (503).</summary>
    public const string CircuitOpen = "circuit-open";

    /// <summary>Connect or reset failure after retries (502).</summary>
    public const string UpstreamUnavailable = "upstream-unavailable";

    /// <summary>Per-try or total timeout (504).</summary>
    public const string UpstreamTimeout = "upstream-timeout";

    /// <summary>Request body larger than the configured limit (413).</summary>
    public const string BodyTooLarge = "body-too-large";

    /// <summary>A cluster's concurrency limit (in flight and queued) is full (503).</summary>
    public const string Overloaded = "overloaded";

    /// <summary>The request itself is malformed (400).</summary>
    public const string BadRequest = "bad-request";

    // Details quote route and cluster ids; relaxed escaping keeps them readable ('x', not \u0027x\u0027).
    private static readonly ProblemJsonContext Json = new(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    private static readonly Dictionary<int, string> Titles = new()
    {
        [400] = "Bad Request",
        [404] = "Not Found",
        [413] = "Content Too Large",
        [431] = "Request Header Fields Too Large",
        [502] = "Bad Gateway",
        [503] = "Service Unavailable",
        [504] = "Gateway Timeout",
    };

    /// <summary>
    /// Writes the problem response unless the response has already started (then only a held gRPC stream gets the error,
    /// in its trailers).
    /// For a gRPC request it writes the trailers-only form, with <paramref name="detail"/> as the <c>grpc-message</c>.
    /// </summary>
    public static Task WriteAsync(HttpContext context, int status, string reason, string detail)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Response.HasStarted)
        {
            // Too late for a status and headers; a gRPC stream the policy step held open takes the error as trailers.
            if (context.Features.Get<GrpcStreamEnd>() is { Held: true } streamEnd)
            {
                streamEnd.WriteTrailers(context.Response, GrpcStatusOf(reason, status), detail, reason, ErrorHeader);
            }

            return Task.CompletedTask;
        }

        context.Response.Clear();
        context.Response.Headers[ErrorHeader] = reason;
        context.Response.Headers.CacheControl = "no-store";
        if (GrpcProtocol.IsGrpcRequest(context.Request))
        {
            GrpcProtocol.WriteTrailersOnly(context, GrpcStatusOf(reason, status), detail);
            return Task.CompletedTask;
        }

        return WriteProblemJsonAsync(context, status, reason, detail);
    }

    /// <summary>
    /// The gRPC status of one of Ambassador's errors, decided here only (the stream-end trailers and the trailers-only
    /// answer both ask it; telemetry reads the status back from the answer): by reason where the reason says more than the HTTP status
    /// (a timeout is DEADLINE_EXCEEDED, a too-large body RESOURCE_EXHAUSTED), otherwise the table gRPC clients use to
    /// map an HTTP status that came without a grpc-status.
    /// </summary>
    internal static GrpcStatusCode GrpcStatusOf(string reason, int status) => reason switch
    {
        NoRoute => GrpcStatusCode.Unimplemented,
        NoHealthyDestination or CircuitOpen or Overloaded or UpstreamUnavailable => GrpcStatusCode.Unavailable,
        UpstreamTimeout => GrpcStatusCode.DeadlineExceeded,
        BadRequest => GrpcStatusCode.Internal,
        BodyTooLarge => GrpcStatusCode.ResourceExhausted,
        _ => status switch
        {
            400 => GrpcStatusCode.Internal,
            401 => GrpcStatusCode.Unauthenticated,
            403 => GrpcStatusCode.PermissionDenied,
            404 => GrpcStatusCode.Unimplemented,
            429 or 502 or 503 or 504 => GrpcStatusCode.Unavailable,
            _ => GrpcStatusCode.Unknown,
        },
    };

    private static async Task WriteProblemJsonAsync(HttpContext context, int status, string reason, string detail)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/problem+json";
        var problem = new ProblemBody(
            $"urn:ambassador:error:{reason}",
            Titles.GetValueOrDefault(status, "Error"),
            status,
            detail,
            reason);
        await JsonSerializer.SerializeAsync(context.Response.Body, problem, Json.ProblemBody, context.RequestAborted).ConfigureAwait(false);
    }
}

internal sealed record ProblemBody(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("status")] int Status,
    [property: JsonPropertyName("detail")] string Detail,
    [property: JsonPropertyName("reason")] string Reason);

[JsonSerializable(typeof(ProblemBody))]
internal sealed partial class ProblemJsonContext : JsonSerializerContext;
