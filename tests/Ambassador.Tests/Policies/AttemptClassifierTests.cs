using System.Net.Sockets;
using Ambassador.Policies.Proxy;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Ambassador.Tests.Policies;

public sealed class AttemptClassifierTests
{
    [Fact]
    public void Classify_NoForwarderError_ProxiedIsAResponseAndUnproxiedIsNobodysFailure()
    {
        var context = new DefaultHttpContext();
        context.Response.StatusCode = 503;
        var feature = new ProxyFeature { ProxiedDestination = new DestinationState("d1") };

        var proxied = AttemptClassifier.Classify(context, feature, clientAborted: false, deadlineFired: false, grpc: false);
        Assert.Equal(new AttemptResult(AttemptKind.Response, 503, false), proxied);
        Assert.True(proxied.IsDestinationFailure);

        // Session affinity answered 503 itself: nothing reached an upstream.
        var unproxied = AttemptClassifier.Classify(context, new ProxyFeature(), clientAborted: false, deadlineFired: false, grpc: false);
        Assert.Equal(AttemptKind.OtherError, unproxied.Kind);
        Assert.False(unproxied.IsDestinationFailure);
    }

    [Theory]
    [InlineData(ForwarderError.RequestTimedOut, AttemptKind.Timeout)]
    [InlineData(ForwarderError.ResponseHeaders, AttemptKind.Reset)]
    [InlineData(ForwarderError.RequestBodyDestination, AttemptKind.Reset)]
    [InlineData(ForwarderError.ResponseBodyClient, AttemptKind.ClientError)]
    [InlineData(ForwarderError.RequestCanceled, AttemptKind.ClientError)]
    [InlineData(ForwarderError.UpgradeRequestDestination, AttemptKind.OtherError)]
    internal void Classify_ForwarderError_ByKind(ForwarderError error, AttemptKind expected)
    {
        var context = ContextWithError(error, exception: null);

        Assert.Equal(expected, AttemptClassifier.Classify(context, new ProxyFeature(), false, false, false).Kind);
    }

    [Fact]
    public void Classify_ClientGoneOrDeadline_WinsOverTheForwarderError()
    {
        var context = ContextWithError(ForwarderError.Request, new HttpRequestException(HttpRequestError.ConnectionError));

        Assert.Equal(AttemptKind.ConnectFailure, AttemptClassifier.Classify(context, new ProxyFeature(), false, false, false).Kind);
        Assert.Equal(AttemptKind.ClientError, AttemptClassifier.Classify(context, new ProxyFeature(), true, true, false).Kind);
        var timedOut = AttemptClassifier.Classify(context, new ProxyFeature(), false, true, false);
        Assert.Equal(new AttemptResult(AttemptKind.Timeout, 504, false), timedOut);
    }

    [Fact]
    public void ClassifyTransport_ConnectErrorsAnywhereInTheChain_OtherwiseReset()
    {
        Assert.Equal(AttemptKind.ConnectFailure, AttemptClassifier.ClassifyTransport(new HttpRequestException(HttpRequestError.ConnectionError)));
        Assert.Equal(AttemptKind.ConnectFailure, AttemptClassifier.ClassifyTransport(
            new InvalidOperationException("outer", new HttpRequestException(HttpRequestError.NameResolutionError))));
        Assert.Equal(AttemptKind.ConnectFailure, AttemptClassifier.ClassifyTransport(new HttpRequestException(HttpRequestError.SecureConnectionError)));
        Assert.Equal(AttemptKind.Reset, AttemptClassifier.ClassifyTransport(new HttpRequestException(HttpRequestError.ResponseEnded)));
        Assert.Equal(AttemptKind.Reset, AttemptClassifier.ClassifyTransport(new SocketException()));
        Assert.Equal(AttemptKind.Reset, AttemptClassifier.ClassifyTransport(null));
    }

    private static DefaultHttpContext ContextWithError(ForwarderError error, Exception? exception)
    {
        var context = new DefaultHttpContext();
        context.Response.StatusCode = 502;
        context.Features.Set<IForwarderErrorFeature>(new ErrorFeature(error, exception));
        return context;
    }

    private sealed record ErrorFeature(ForwarderError Error, Exception? Exception) : IForwarderErrorFeature;

    private sealed class ProxyFeature : IReverseProxyFeature
    {
        public RouteModel Route => throw new NotSupportedException();

        public ClusterModel Cluster => throw new NotSupportedException();

        public IReadOnlyList<DestinationState> AllDestinations { get; set; } = [];

        public IReadOnlyList<DestinationState> AvailableDestinations { get; set; } = [];

        public DestinationState? ProxiedDestination { get; set; }
    }
}
