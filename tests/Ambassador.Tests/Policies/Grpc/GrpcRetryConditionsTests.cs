using Ambassador.Policies;
using System.Net;
using Ambassador.Policies.Grpc;
using Ambassador.Policies.Retry;

namespace Ambassador.Tests.Policies.Grpc;

public sealed class GrpcRetryConditionsTests
{
    [Theory]
    [InlineData("14", (int)RetryConditions.GrpcUnavailable)]
    [InlineData("8", (int)RetryConditions.GrpcResourceExhausted)]
    [InlineData("1", (int)RetryConditions.GrpcCancelled)]
    [InlineData("4", (int)RetryConditions.GrpcDeadlineExceeded)]
    [InlineData("13", (int)RetryConditions.GrpcInternal)]
    [InlineData("5", 0)]
    [InlineData("0", 0)]
    [InlineData("x", 0)]
    public void ForResponse_TrailersOnly_ConditionOfItsStatus(string status, int expected)
    {
        using var response = new HttpResponseMessage(HttpStatusCode.OK);
        response.Headers.TryAddWithoutValidation("grpc-status", status);

        Assert.Equal((RetryConditions)expected, GrpcRetryConditions.ForResponse(response));
    }

    [Fact]
    public void ForResponse_StatusOnlyInTrailers_None()
    {
        // A stream that sent messages carries its status in the trailers, which arrive after the headers: never retried.
        using var response = new HttpResponseMessage(HttpStatusCode.OK);
        response.TrailingHeaders.TryAddWithoutValidation("grpc-status", "14");

        Assert.Equal(RetryConditions.None, GrpcRetryConditions.ForResponse(response));
    }

    [Fact]
    public void ForResponse_NotHttp200_None()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        response.Headers.TryAddWithoutValidation("grpc-status", "14");

        Assert.Equal(RetryConditions.None, GrpcRetryConditions.ForResponse(response));
    }

    [Fact]
    public void Parse_GrpcTokens_OptInOnly()
    {
        Assert.Equal(GrpcRetryConditions.All,
            RetryConditionsParser.Parse("grpc-unavailable, grpc-resource-exhausted,grpc-cancelled,grpc-deadline-exceeded,grpc-internal", out var unknown));
        Assert.Null(unknown);
        Assert.Equal(RetryConditions.None, RetryConditionsParser.Parse(PolicyOptionTable.RetryOn.Default!, out _) & GrpcRetryConditions.All);
        Assert.Equal("grpc-unavailable", RetryConditionsParser.Label(RetryConditions.GrpcUnavailable));
    }
}
