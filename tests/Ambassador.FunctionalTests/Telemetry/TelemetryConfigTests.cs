using Ambassador.FunctionalTests.Infrastructure;
using Microsoft.Extensions.Configuration;
using static Ambassador.FunctionalTests.Telemetry.TelemetryTestSupport;

namespace Ambassador.FunctionalTests.Telemetry;

public sealed class TelemetryConfigTests
{
    [Fact]
    public async Task InvalidTelemetryKeys_AreRejectedNamingEachKey()
    {
        var settings = Config(UniqueId("bad"), UniqueId("cl"), "http://127.0.0.1:1");
        settings["Ambassador:Telemetry:SamplingRatio"] = "1.5";
        settings["Ambassador:Telemetry:ServiceName"] = " ";
        settings["Ambassador:AccessLog:Enabled"] = "yes";
        settings["Ambassador:AccessLog:IncludeQuery"] = "sometimes";
        settings["Ambassador:AccessLog:Format"] = "json";
        settings["OTEL_EXPORTER_OTLP_ENDPOINT"] = "collector:4317";
        settings["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/json";

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => TestAmbassador.StartAsync(settings));

        Assert.Contains("Ambassador:Telemetry:SamplingRatio: '1.5' is out of range; use a number from 0 to 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("Ambassador:Telemetry:ServiceName: must not be empty; remove the key to use OTEL_SERVICE_NAME or 'ambassador'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Ambassador:AccessLog:Enabled: 'yes' is not a boolean; use true or false", error.Message, StringComparison.Ordinal);
        Assert.Contains("Ambassador:AccessLog:IncludeQuery: 'sometimes' is not a boolean; use true or false", error.Message, StringComparison.Ordinal);
        Assert.Contains("Ambassador:AccessLog:Format: unknown key; allowed here: Enabled, IncludeQuery", error.Message, StringComparison.Ordinal);
        Assert.Contains("OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317' is not an absolute http or https URL; use e.g. http://127.0.0.1:4317 (grpc) or http://127.0.0.1:4318 (http/protobuf)", error.Message, StringComparison.Ordinal);
        Assert.Contains("OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' is not allowed; use one of grpc, http/protobuf", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServiceName_DefaultsToAmbassador()
    {
        await using var amb = await TestAmbassador.StartAsync(Config(UniqueId("svc"), UniqueId("cl"), "http://127.0.0.1:1"));

        var metrics = await amb.AdminClient.GetStringAsync("/metrics");

        Assert.Contains("service_name=\"ambassador\"", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServiceName_FromOtelServiceName_WhenNotConfigured()
    {
        await using var amb = await TestAmbassador.StartAsync(Config(UniqueId("svc"), UniqueId("cl"), "http://127.0.0.1:1"),
            b => b.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["OTEL_SERVICE_NAME"] = "from-otel-env" }));

        var metrics = await amb.AdminClient.GetStringAsync("/metrics");

        Assert.Contains("service_name=\"from-otel-env\"", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServiceName_Configured_WinsOverOtelServiceName()
    {
        var settings = Config(UniqueId("svc"), UniqueId("cl"), "http://127.0.0.1:1");
        settings["Ambassador:Telemetry:ServiceName"] = "orders-sidecar";
        await using var amb = await TestAmbassador.StartAsync(settings,
            b => b.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["OTEL_SERVICE_NAME"] = "from-otel-env" }));

        var metrics = await amb.AdminClient.GetStringAsync("/metrics");

        Assert.Contains("service_name=\"orders-sidecar\"", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("from-otel-env", metrics, StringComparison.Ordinal);
    }
}
