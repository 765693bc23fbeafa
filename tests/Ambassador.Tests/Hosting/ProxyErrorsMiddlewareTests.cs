using System.Text.Json;
using Ambassador.Hosting;
using Ambassador.Policies.Proxy;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace Ambassador.Tests.Hosting;

public sealed class ProxyErrorsMiddlewareTests
{
    [Theory]
    [InlineData(ForwarderError.NoAvailableDestinations, 503, ProxyFailure.NoHealthyDestination)]
    [InlineData(ForwarderError.RequestTimedOut, 504, ProxyFailure.UpstreamTimeout)]
    [InlineData(ForwarderError.RequestCanceled, 502, ProxyFailure.None)]
    [InlineData(ForwarderError.RequestBodyCanceled, 502, ProxyFailure.None)]
    [InlineData(ForwarderError.RequestBodyClient, 413, ProxyFailure.BodyTooLarge)]
    [InlineData(ForwarderError.RequestBodyClient, 400, ProxyFailure.BadRequestBody)]
    [InlineData(ForwarderError.Request, 502, ProxyFailure.UpstreamUnavailable)]
    [InlineData(ForwarderError.ResponseHeaders, 502, ProxyFailure.UpstreamUnavailable)]
    public void FailureOf_ForwarderError_MapsToOneFailure(ForwarderError error, int status, ProxyFailure expected)
        => Assert.Equal(expected, ProxyErrorsMiddleware.FailureOf(error, status));

    [Fact]
    public void FailureOf_BodyLimitInsideTheUpstreamCallsException_IsBodyTooLarge()
    {
        // YARP answered 400 because it caught HttpClient's exception, whose body source was stopped by the body limit.
        var limit = new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge);
        var wrapped = new HttpRequestException("Error while copying content to a stream.", new IOException("copy failed", limit));

        Assert.Equal(ProxyFailure.BodyTooLarge, ProxyErrorsMiddleware.FailureOf(ForwarderError.RequestBodyClient, 400, wrapped));

        // As YARP reports it: the body copy's exception first, the upstream call's second.
        Assert.Equal(ProxyFailure.BodyTooLarge, ProxyErrorsMiddleware.FailureOf(ForwarderError.RequestBodyClient, 400,
            new AggregateException(new IOException("client stream ended"), wrapped)));
        Assert.Equal(ProxyFailure.BadRequestBody, ProxyErrorsMiddleware.FailureOf(ForwarderError.RequestBodyClient, 400,
            new HttpRequestException("Error while copying content to a stream.", new IOException("client reset"))));
    }

    [Theory]
    [InlineData(ProxyFailure.NoRoute, 404, "no-route", "No route matches GET /x.")]
    [InlineData(ProxyFailure.AmbiguousFraming, 400, "bad-request", "The request carries both Content-Length and Transfer-Encoding; it was not forwarded.")]
    [InlineData(ProxyFailure.CircuitOpen, 503, "circuit-open", "Cluster '' (route ''): every destination's circuit breaker is open.")]
    [InlineData(ProxyFailure.UpstreamTimeout, 504, "upstream-timeout", "Cluster '' (route '') did not answer in time.")]
    [InlineData(ProxyFailure.NoHealthyDestination, 503, "no-healthy-destination", "Cluster '' (route '') has no resolved or healthy destination.")]
    public async Task WriteAsync_Failure_ProblemWithItsStatusReasonAndWording(ProxyFailure failure, int status, string reason, string detail)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Path = "/x";
        var body = new MemoryStream();
        context.Response.Body = body;

        await ProxyErrorsMiddleware.WriteAsync(context, failure);

        Assert.Equal(status, context.Response.StatusCode);
        Assert.Equal(reason, context.Response.Headers[ProxyProblem.ErrorHeader].ToString());
        Assert.Equal("application/problem+json", context.Response.ContentType);
        using var problem = JsonDocument.Parse(body.ToArray());
        Assert.Equal(detail, problem.RootElement.GetProperty("detail").GetString());
        Assert.Equal(reason, problem.RootElement.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task WriteAsync_None_WritesNothing()
    {
        var context = new DefaultHttpContext();

        await ProxyErrorsMiddleware.WriteAsync(context, ProxyFailure.None);

        Assert.Equal(200, context.Response.StatusCode);
        Assert.False(context.Response.Headers.ContainsKey(ProxyProblem.ErrorHeader));
    }

    [Fact]
    public void ProxyFailureFeature_For_SameInstanceEveryTime()
    {
        Assert.Same(ProxyFailureFeature.For(ProxyFailure.CircuitOpen), ProxyFailureFeature.For(ProxyFailure.CircuitOpen));
        Assert.Equal(ProxyFailure.UpstreamTimeout, ProxyFailureFeature.For(ProxyFailure.UpstreamTimeout).Failure);
    }
}
