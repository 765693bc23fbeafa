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
}
