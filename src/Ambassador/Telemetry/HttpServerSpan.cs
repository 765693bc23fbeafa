using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Http.Metadata;

namespace Ambassador.Telemetry;

/// <summary>
/// The OpenTelemetry HTTP server attributes and name of a recorded server span. ASP.NET Core 10's own server activity
/// carries none of them by default (its semantic-convention tags arrive on by default in ASP.NET Core 11); the
/// instrumentation package used to add them. Written once, when the response is done, and only for recorded spans, so an
/// unsampled request pays nothing for them.
/// </summary>
internal static class HttpServerSpan
{
    public const string MethodAttribute = "http.request.method";
    public const string SchemeAttribute = "url.scheme";
    public const string PathAttribute = "url.path";
    public const string ServerAddressAttribute = "server.address";
    public const string ServerPortAttribute = "server.port";
    public const string RouteAttribute = "http.route";
    public const string StatusCodeAttribute = "http.response.status_code";
    public const string ProtocolVersionAttribute = "network.protocol.version";
    public const string ErrorTypeAttribute = "error.type";

    public static void Tag(Activity activity, HttpContext context, int status, Exception? exception)
    {
        var request = context.Request;
        var method = request.Method;
        activity.SetTag(MethodAttribute, method);
        activity.SetTag(SchemeAttribute, request.Scheme);
        activity.SetTag(PathAttribute, request.PathBase.HasValue ? request.PathBase.Add(request.Path).ToString() : request.Path.Value ?? "/");
        if (request.Host.HasValue)
        {
            activity.SetTag(ServerAddressAttribute, request.Host.Host);
            if (request.Host.Port is { } port)
            {
                activity.SetTag(ServerPortAttribute, port);
            }
        }

        activity.SetTag(StatusCodeAttribute, status);
        if (ProtocolVersion(request.Protocol) is { } version)
        {
            activity.SetTag(ProtocolVersionAttribute, version);
        }

        // The endpoint's route template (YARP's route path), the low-cardinality name OpenTelemetry asks for.
        var route = context.GetEndpoint()?.Metadata.GetMetadata<IRouteDiagnosticsMetadata>()?.Route;
        if (route is not null)
        {
            activity.SetTag(RouteAttribute, route);
            activity.DisplayName = string.Concat(method, " ", route);
        }
        else
        {
            activity.DisplayName = method;
        }

        if (exception is not null)
        {
            activity.SetTag(ErrorTypeAttribute, exception.GetType().FullName);
            activity.SetStatus(ActivityStatusCode.Error, exception.Message);
        }
        else if (status >= 500)
        {
            activity.SetTag(ErrorTypeAttribute, status.ToString(CultureInfo.InvariantCulture));
            activity.SetStatus(ActivityStatusCode.Error);
        }
    }

    private static string? ProtocolVersion(string protocol) =>
        HttpProtocol.IsHttp11(protocol) ? "1.1"
        : HttpProtocol.IsHttp2(protocol) ? "2"
        : HttpProtocol.IsHttp3(protocol) ? "3"
        : HttpProtocol.IsHttp10(protocol) ? "1.0"
        : null;
}
