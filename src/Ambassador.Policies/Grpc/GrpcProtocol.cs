using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Ambassador.Policies.Grpc;

/// <summary>
/// The few pieces of the gRPC-over-HTTP/2 protocol a proxy needs: recognising a call, and its status headers. The wire
/// form of <c>grpc-status</c> (the codes the spec defines, as text, and how a value is read) lives here only; which
/// status an Ambassador error carries is the error contract's (<c>ProxyProblem.GrpcStatusOf</c>).
/// </summary>
internal static class GrpcProtocol
{
    public const string ContentType = "application/grpc";
    public const string WebContentType = "application/grpc-web";
    public const string StatusHeader = "grpc-status";
    public const string MessageHeader = "grpc-message";
    public const string TimeoutHeader = "grpc-timeout";

    // Every status written is one of the spec's codes: their header text is formatted once.
    private static readonly string[] StatusTexts =
        [.. Enumerable.Range(0, (int)GrpcStatusCode.Unauthenticated + 1).Select(i => i.ToString(CultureInfo.InvariantCulture))];

    /// <summary>A gRPC call is any request whose content-type starts with <c>application/grpc</c> (the spec's rule; +proto, +json and gRPC-Web included).</summary>
    public static bool IsGrpcRequest(HttpRequest request) => IsGrpcContentType(request.ContentType);

    public static bool IsGrpcContentType(string? contentType) =>
        contentType is not null && contentType.StartsWith(ContentType, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Whether the upstream answered a gRPC call with a trailers-only UNAVAILABLE (HTTP 200, <c>grpc-status: 14</c> in the
    /// response headers, as YARP copied them): the service says it cannot serve, which is a failure of that destination
    /// exactly like an HTTP 503 (breaker, outlier ejection, attempt outcome). Other statuses are the call's own answer.
    /// </summary>
    public static bool IsUnavailableAnswer(HttpContext context)
    {
        var response = context.Response;
        return response.StatusCode == StatusCodes.Status200OK
            && IsGrpcRequest(context.Request)
            && response.Headers.TryGetValue(StatusHeader, out var status)
            && status.Count == 1
            && status[0] == StatusText(GrpcStatusCode.Unavailable);
    }

    /// <summary>The <c>grpc-status</c> text of <paramref name="status"/>, e.g. <c>14</c>.</summary>
    public static string StatusText(GrpcStatusCode status) => StatusTexts[(int)status];

    /// <summary>The <c>grpc-status</c> text of a code the spec defines (0–16); null for any other number.</summary>
    public static string? StatusText(int status) => (uint)status < (uint)StatusTexts.Length ? StatusTexts[status] : null;

    /// <summary>Reads a <c>grpc-status</c> value that is exactly one decimal number.</summary>
    public static bool TryParseStatus(StringValues value, out int status)
    {
        status = 0;
        return value.Count == 1 && TryParseStatus(value[0], out status);
    }

    /// <summary>Reads one <c>grpc-status</c> value: a decimal number, no sign or spaces.</summary>
    public static bool TryParseStatus(string? value, out int status) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out status);

    /// <summary>
    /// Writes a trailers-only answer: HTTP 200 and the status in the response headers, no body. Kestrel sends the
    /// headers of a response that completes without a body with END_STREAM, which is what trailers-only means on HTTP/2.
    /// </summary>
    public static void WriteTrailersOnly(HttpContext context, GrpcStatusCode status, string message)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        // gRPC-Web callers read the same headers; answer in the family they spoke.
        response.ContentType = context.Request.ContentType!.StartsWith(WebContentType, StringComparison.OrdinalIgnoreCase) ? WebContentType : ContentType;
        response.Headers[StatusHeader] = StatusText(status);
        response.Headers[MessageHeader] = PercentEncode(message);
    }

    /// <summary>
    /// The gRPC spec's Percent-Encoded form of <c>grpc-message</c>: the UTF-8 bytes of the message, with every byte
    /// outside printable ASCII (0x20–0x7E) and '%' itself written as %XX.
    /// </summary>
    public static string PercentEncode(string message)
    {
        if (!NeedsEncoding(message))
        {
            return message;
        }

        var bytes = Encoding.UTF8.GetBytes(message);
        var builder = new StringBuilder(bytes.Length + 16);
        foreach (var b in bytes)
        {
            if (b is >= 0x20 and <= 0x7E and not (byte)'%')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(HexDigit(b >> 4)).Append(HexDigit(b & 0xF));
            }
        }

        return builder.ToString();
    }

    private static bool NeedsEncoding(string message)
    {
        foreach (var c in message)
        {
            if (c is < ' ' or > '~' or '%')
            {
                return true;
            }
        }

        return false;
    }

    private static char HexDigit(int value) => (char)(value < 10 ? '0' + value : 'A' + value - 10);
}
