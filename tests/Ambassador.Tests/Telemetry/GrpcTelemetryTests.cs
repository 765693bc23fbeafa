using Ambassador.Telemetry;

namespace Ambassador.Tests.Telemetry;

public sealed class GrpcTelemetryTests
{
    [Theory]
    [InlineData(0, "0")]
    [InlineData(14, "14")]
    [InlineData(16, "16")]
    [InlineData(17, "other")]
    [InlineData(-3, "other")]
    [InlineData(null, "none")]
    public void Label_Status_BoundedSet(int? status, string expected) =>
        Assert.Equal(expected, GrpcTelemetry.Label(status));
}
