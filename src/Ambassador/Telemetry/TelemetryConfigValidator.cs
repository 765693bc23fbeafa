using Ambassador.Configuration;

namespace Ambassador.Telemetry;

/// <summary>Validates the standard <c>OTEL_EXPORTER_OTLP_*</c> values Ambassador acts on (its own keys are declared in <see cref="TelemetryOptionTable"/>).</summary>
internal sealed class TelemetryConfigValidator : IConfigValidationContributor
{
    public void Validate(IConfiguration candidate, ConfigProblems problems)
    {
        ValidateEndpoint(candidate, TelemetryConstants.OtlpEndpointKey, problems);
        ValidateEndpoint(candidate, TelemetryConstants.OtlpTracesEndpointKey, problems);
        ValidateProtocol(candidate, TelemetryConstants.OtlpProtocolKey, problems);
        ValidateProtocol(candidate, TelemetryConstants.OtlpTracesProtocolKey, problems);
    }

    private static void ValidateEndpoint(IConfiguration candidate, string key, ConfigProblems problems)
    {
        var raw = candidate[key];
        if (string.IsNullOrWhiteSpace(raw))
        {
            return;
        }

        if (!Uri.TryCreate(raw.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            problems.Add(key, $"'{raw}' is not an absolute http or https URL", "use e.g. http://127.0.0.1:4317 (grpc) or http://127.0.0.1:4318 (http/protobuf)");
        }
    }

    private static void ValidateProtocol(IConfiguration candidate, string key, ConfigProblems problems)
    {
        var raw = candidate[key];
        if (string.IsNullOrWhiteSpace(raw))
        {
            return;
        }

        var value = raw.Trim();
        if (!value.Equals("grpc", StringComparison.OrdinalIgnoreCase) && !value.Equals("http/protobuf", StringComparison.OrdinalIgnoreCase))
        {
            problems.Add(key, $"'{raw}' is not allowed", "use one of grpc, http/protobuf");
        }
    }
}
