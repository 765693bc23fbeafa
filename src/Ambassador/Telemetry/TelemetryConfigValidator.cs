using Ambassador.Configuration;

namespace Ambassador.Telemetry;

/// <summary>Validates <c>Ambassador:Telemetry</c>, <c>Ambassador:AccessLog</c> and the standard <c>OTEL_EXPORTER_OTLP_*</c> values Ambassador acts on.</summary>
internal sealed class TelemetryConfigValidator : IConfigValidationContributor
{
    public void Validate(IConfiguration candidate, ConfigProblems problems)
    {
        var telemetry = candidate.GetSection(TelemetryOptions.SectionName);
        var serviceName = telemetry[nameof(TelemetryOptions.ServiceName)];
        if (serviceName is not null && string.IsNullOrWhiteSpace(serviceName))
        {
            problems.Add($"{TelemetryOptions.SectionName}:{nameof(TelemetryOptions.ServiceName)}",
                $"must not be empty; remove the key to use {TelemetryConstants.ServiceNameEnvironmentKey} or '{TelemetryConstants.DefaultServiceName}'");
        }

        ConfigValues.ReadNumber(telemetry, nameof(TelemetryOptions.SamplingRatio),
            $"{TelemetryOptions.SectionName}:{nameof(TelemetryOptions.SamplingRatio)}", problems, 0.0, 1.0);

        ConfigValues.ReadBoolean(telemetry, nameof(TelemetryOptions.Metrics), $"{TelemetryOptions.SectionName}:{nameof(TelemetryOptions.Metrics)}", problems);

        var accessLog = candidate.GetSection(AccessLogOptions.SectionName);
        ConfigValues.ReadBoolean(accessLog, nameof(AccessLogOptions.Enabled), $"{AccessLogOptions.SectionName}:{nameof(AccessLogOptions.Enabled)}", problems);
        ConfigValues.ReadBoolean(accessLog, nameof(AccessLogOptions.IncludeQuery), $"{AccessLogOptions.SectionName}:{nameof(AccessLogOptions.IncludeQuery)}", problems);

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
            problems.Add(key, $"'{raw}' is not an http(s) URL; use e.g. http://127.0.0.1:4317 (grpc) or http://127.0.0.1:4318 (http/protobuf)");
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
            problems.Add(key, $"'{raw}' is not supported; use grpc or http/protobuf");
        }
    }
}
