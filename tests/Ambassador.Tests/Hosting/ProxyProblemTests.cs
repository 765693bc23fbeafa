using Ambassador.Hosting;
using Ambassador.Policies.Grpc;
using Microsoft.AspNetCore.Http;

namespace Ambassador.Tests.Hosting;

public sealed class ProxyProblemTests
{
    [Theory]
    [InlineData(ProxyProblem.NoRoute, 404, (int)GrpcStatusCode.Unimplemented)]
    [InlineData(ProxyProblem.NoHealthyDestination, 503, (int)GrpcStatusCode.Unavailable)]
    [InlineData(ProxyProblem.CircuitOpen, 503, (int)GrpcStatusCode.Unavailable)]
    [InlineData(ProxyProblem.Overloaded, 503, (int)GrpcStatusCode.Unavailable)]
    [InlineData(ProxyProblem.UpstreamUnavailable, 502, (int)GrpcStatusCode.Unavailable)]
    [InlineData(ProxyProblem.UpstreamTimeout, 504, (int)GrpcStatusCode.DeadlineExceeded)]
    [InlineData(ProxyProblem.BadRequest, 400, (int)GrpcStatusCode.Internal)]
    [InlineData(ProxyProblem.BodyTooLarge, 413, (int)GrpcStatusCode.ResourceExhausted)]
    [InlineData("header-too-large", 431, (int)GrpcStatusCode.Unknown)]
    [InlineData("forbidden", 403, (int)GrpcStatusCode.PermissionDenied)]
    [InlineData("busy", 429, (int)GrpcStatusCode.Unavailable)]
    public void GrpcStatusOf_Reason_MapsLikeGrpcHttpTable(string reason, int status, int expected) =>
        Assert.Equal(expected, (int)ProxyProblem.GrpcStatusOf(reason, status));

    [Fact]
    public async Task WriteAsync_GrpcRequest_TrailersOnlyWithoutBody()
    {
        var context = new DefaultHttpContext();
        context.Request.ContentType = "application/grpc+proto";
        context.Response.Body = new MemoryStream();

        await ProxyProblem.WriteAsync(context, 504, ProxyProblem.UpstreamTimeout, "Cluster 'c' did not answer: 100%");

        Assert.Equal(200, context.Response.StatusCode);
        Assert.Equal("application/grpc", context.Response.ContentType);
        Assert.Equal("4", context.Response.Headers["grpc-status"]);
        Assert.Equal("Cluster 'c' did not answer: 100%25", context.Response.Headers["grpc-message"]);
        Assert.Equal("upstream-timeout", context.Response.Headers["x-ambassador-error"]);
        Assert.Equal(0, context.Response.Body.Length);
    }

    [Fact]
    public async Task WriteAsync_HttpRequest_ProblemJson()
    {
        var context = new DefaultHttpContext();
        context.Request.ContentType = "application/json";
        context.Response.Body = new MemoryStream();

        await ProxyProblem.WriteAsync(context, 503, ProxyProblem.Overloaded, "full");

        Assert.Equal(503, context.Response.StatusCode);
        Assert.Equal("application/problem+json", context.Response.ContentType);
        Assert.False(context.Response.Headers.ContainsKey("grpc-status"));
        Assert.True(context.Response.Body.Length > 0);
    }
}
