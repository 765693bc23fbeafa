using Ambassador.Policies.Grpc;

namespace Ambassador.Tests.Policies.Grpc;

public sealed class GrpcProtocolTests
{
    [Theory]
    [InlineData("plain text 'quoted' (route 'r')", "plain text 'quoted' (route 'r')")]
    [InlineData("100%", "100%25")]
    [InlineData("line\nbreak", "line%0Abreak")]
    [InlineData("ü", "%C3%BC")]
    [InlineData("", "")]
    public void PercentEncode_Message_FollowsGrpcSpec(string message, string expected) =>
        Assert.Equal(expected, GrpcProtocol.PercentEncode(message));

    [Theory]
    [InlineData("application/grpc", true)]
    [InlineData("application/grpc+proto", true)]
    [InlineData("Application/GRPC-web", true)]
    [InlineData("application/json", false)]
    [InlineData(null, false)]
    public void IsGrpcContentType_ContentType_ByPrefix(string? contentType, bool expected) =>
        Assert.Equal(expected, GrpcProtocol.IsGrpcContentType(contentType));

    [Theory]
    [InlineData(0, "0")]
    [InlineData(14, "14")]
    [InlineData(16, "16")]
    [InlineData(17, null)]
    [InlineData(-1, null)]
    public void StatusText_Code_TextOnlyForTheSpecsCodes(int status, string? expected) =>
        Assert.Equal(expected, GrpcProtocol.StatusText(status));

    [Fact]
    public void StatusText_EveryEnumValue_IsItsNumber() =>
        Assert.All(Enum.GetValues<GrpcStatusCode>(), code =>
            Assert.Equal(((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture), GrpcProtocol.StatusText(code)));

    [Theory]
    [InlineData("14", true, 14)]
    [InlineData("0", true, 0)]
    [InlineData("99", true, 99)]
    [InlineData("-1", false, 0)]
    [InlineData(" 4", false, 0)]
    [InlineData("x", false, 0)]
    [InlineData("", false, 0)]
    public void TryParseStatus_Value_DecimalNumberOnly(string value, bool parsed, int expected)
    {
        Assert.Equal(parsed, GrpcProtocol.TryParseStatus(value, out var status));
        Assert.Equal(expected, status);
    }

    [Fact]
    public void TryParseStatus_TwoValues_IsNotAStatus() =>
        Assert.False(GrpcProtocol.TryParseStatus(new Microsoft.Extensions.Primitives.StringValues(["0", "14"]), out _));
}
