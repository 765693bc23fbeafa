using System.Net.Http.Headers;
using Ambassador.Policies;
using Ambassador.Policies.Proxy;
using Ambassador.Policies.Retry;
using Microsoft.AspNetCore.Http;

namespace Ambassador.Tests.Policies;

public sealed class RequestHelpersTests
{
    [Theory]
    [InlineData("GET", true)]
    [InlineData("HEAD", true)]
    [InlineData("OPTIONS", true)]
    [InlineData("PUT", true)]
    [InlineData("DELETE", true)]
    [InlineData("TRACE", true)]
    [InlineData("POST", false)]
    [InlineData("PATCH", false)]
    [InlineData("CONNECT", false)]
    public void IsIdempotent_ByMethod(string method, bool expected)
        => Assert.Equal(expected, RequestReplay.IsIdempotent(method));

    [Fact]
    public void PrepareBodyForReplay_NoBody_ReplayableWithoutBuffering()
    {
        var context = new DefaultHttpContext();

        Assert.True(RequestReplay.PrepareBodyForReplay(context, 65536, out var buffered));
        Assert.False(buffered);
    }

    [Fact]
    public void PrepareBodyForReplay_KnownLengthWithinLimit_Buffered()
    {
        var context = new DefaultHttpContext();
        context.Request.ContentLength = 10 * 1024;
        context.Request.Body = new MemoryStream(new byte[10 * 1024]);

        Assert.True(RequestReplay.PrepareBodyForReplay(context, 65536, out var buffered));
        Assert.True(buffered);
        Assert.True(context.Request.Body.CanSeek);
    }

    [Fact]
    public void PrepareBodyForReplay_LargerThanLimit_SentOnce()
    {
        var context = new DefaultHttpContext();
        context.Request.ContentLength = 65537;

        Assert.False(RequestReplay.PrepareBodyForReplay(context, 65536, out _));
    }

    [Fact]
    public void PrepareBodyForReplay_Chunked_SentOnce()
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.TransferEncoding = "chunked";

        Assert.False(RequestReplay.PrepareBodyForReplay(context, 65536, out _));
    }

    [Fact]
    public void ParseRetryAfter_DeltaDateAndPast()
    {
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        Assert.Equal(TimeSpan.FromSeconds(3), RequestState.ParseRetryAfter(new RetryConditionHeaderValue(TimeSpan.FromSeconds(3)), now));
        Assert.Equal(TimeSpan.FromSeconds(90), RequestState.ParseRetryAfter(new RetryConditionHeaderValue(now.AddSeconds(90)), now));
        Assert.Equal(TimeSpan.Zero, RequestState.ParseRetryAfter(new RetryConditionHeaderValue(now.AddSeconds(-5)), now));
        Assert.Null(RequestState.ParseRetryAfter(null, now));
    }

    [Fact]
    public void RetryConditions_Parse_TokensAndAliases()
    {
        var all = RetryConditionsParser.Parse(PolicyOptionTable.RetryOn.Default, out var unknown);
        Assert.Null(unknown);
        Assert.Equal(
            RetryConditions.ConnectFailure | RetryConditions.Reset | RetryConditions.PerTryTimeout
                | RetryConditions.Status502 | RetryConditions.Status503 | RetryConditions.Status504 | RetryConditions.Status429,
            all);

        Assert.Equal(
            RetryConditions.Status502 | RetryConditions.Status503 | RetryConditions.Status504,
            RetryConditionsParser.Parse(" gateway-error ", out _));

        RetryConditionsParser.Parse("reset,500,teapot", out unknown);
        Assert.Equal(["500", "teapot"], unknown);
    }

    [Theory]
    [InlineData(502, "502")]
    [InlineData(503, "503")]
    [InlineData(504, "504")]
    [InlineData(429, "429")]
    [InlineData(500, "other")]
    public void RetryConditions_ForStatus_Label(int status, string label)
        => Assert.Equal(label, RetryConditionsParser.Label(RetryConditionsParser.ForStatus(status)));
}
