using Ambassador.Telemetry;
using Microsoft.AspNetCore.Http;

namespace Ambassador.Tests.Telemetry;

public sealed class RequestTelemetryMiddlewareTests
{
    [Theory]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "0af7651916cd43dd8448eb211c80319c")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00", "0af7651916cd43dd8448eb211c80319c")]
    [InlineData("00-00000000000000000000000000000000-b7ad6b7169203331-01", null)]
    [InlineData("00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01", null)]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c", null)]
    [InlineData("garbage", null)]
    public void CallerTraceId_Traceparent_TraceIdOfValidHeaderOnly(string traceparent, string? expected)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.TraceParent = traceparent;

        Assert.Equal(expected, RequestTelemetryMiddleware.CallerTraceId(context.Request));
    }

    [Fact]
    public void CallerTraceId_NoHeader_Null()
        => Assert.Null(RequestTelemetryMiddleware.CallerTraceId(new DefaultHttpContext().Request));
}
