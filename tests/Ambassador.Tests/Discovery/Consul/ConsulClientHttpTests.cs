using System.Net;
using System.Text;
using Ambassador.Discovery.Consul;
using Microsoft.Extensions.Time.Testing;

namespace Ambassador.Tests.Discovery.Consul;

public class ConsulClientHttpTests
{
    private static readonly ConsulOptions Options = new() { Address = "http://127.0.0.1:8500", Token = "tok-123", MaxResponseBytes = 1024 };

    private sealed class StubHandler(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
    {
        public HttpRequestMessage? Last { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Last = request;
            return Task.FromResult(answer(request));
        }
    }

    private static HttpResponseMessage Json(string body, string? index = "42", HttpStatusCode status = HttpStatusCode.OK)
    {
        var response = new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (index is not null)
        {
            response.Headers.TryAddWithoutValidation("X-Consul-Index", index);
        }

        return response;
    }

    private static async Task<(ConsulQueryResult? Result, ConsulQueryException? Error, StubHandler Handler)> QueryAsync(Func<HttpRequestMessage, HttpResponseMessage> answer)
    {
        var handler = new StubHandler(answer);
        using var client = new ConsulClient(handler, new FakeTimeProvider());
        try
        {
            return (await client.QueryAsync(Options, "inventory", 7, CancellationToken.None), null, handler);
        }
        catch (ConsulQueryException ex)
        {
            return (null, ex, handler);
        }
    }

    [Fact]
    public async Task QueryAsync_GoodAnswer_ParsesEntriesIndexAndSendsToken()
    {
        var (result, error, handler) = await QueryAsync(_ => Json("""
            [{"Node":{"Node":"n1","Address":"10.0.0.1","Datacenter":"dc1"},
              "Service":{"ID":"inv-1","Service":"inventory","Tags":["primary"],"Address":"","Port":5001,"Meta":{"k":"v"}},
              "Checks":[{"CheckID":"serfHealth","Status":"passing","ServiceID":""}]}]
            """));

        Assert.Null(error);
        Assert.Equal(42, result!.Index);
        var entry = Assert.Single(result.Entries);
        Assert.Equal("10.0.0.1", entry.Node!.Address);
        Assert.Equal(5001, entry.Service!.Port);
        Assert.Equal("tok-123", handler.Last!.Headers.GetValues("X-Consul-Token").Single());
        Assert.Contains("index=7", handler.Last.RequestUri!.Query, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("abc")]
    [InlineData("-5")]
    public async Task QueryAsync_IndexHeaderMissingOrBad_ReportsZero(string? header)
    {
        var (result, _, _) = await QueryAsync(_ => Json("[]", header));
        Assert.Equal(0, result!.Index);
    }

    [Theory]
    [InlineData("null", "Consul answer is null, expected an array")]
    [InlineData("{\"a\":1}", "Consul answer is not valid JSON")]
    [InlineData("[{\"Service\":{\"Port\":\"x\"}}]", "Consul answer is not valid JSON")]
    public async Task QueryAsync_NotTheDocumentedJson_IsMalformed(string body, string message)
    {
        var (_, error, _) = await QueryAsync(_ => Json(body));
        Assert.Equal(ConsulErrorKind.Malformed, error!.Kind);
        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueryAsync_ServerError_IsBadStatus()
    {
        var (_, error, _) = await QueryAsync(_ => Json("No cluster leader", status: HttpStatusCode.InternalServerError));
        Assert.Equal(ConsulErrorKind.BadStatus, error!.Kind);
        Assert.Equal("Consul answered 500 Internal Server Error", error.Message);
    }

    [Fact]
    public async Task QueryAsync_LargerThanLimitWithContentLength_IsTooLarge()
    {
        var (_, error, _) = await QueryAsync(_ => Json("[" + new string(' ', 2000) + "]"));
        Assert.Equal(ConsulErrorKind.TooLarge, error!.Kind);
        Assert.Equal("Consul answer exceeds 1024 bytes", error.Message);
    }

    [Fact]
    public async Task QueryAsync_LargerThanLimitChunked_IsTooLargeWithoutReadingItAll()
    {
        var stream = new CountingStream(totalBytes: 10 * 1024 * 1024);
        var (_, error, _) = await QueryAsync(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(stream) });
        Assert.Equal(ConsulErrorKind.TooLarge, error!.Kind);
        Assert.True(stream.BytesRead < 64 * 1024, $"read {stream.BytesRead} bytes");
    }

    [Fact]
    public async Task QueryAsync_ConnectionRefused_IsUnreachable()
    {
        var (_, error, _) = await QueryAsync(_ => throw new HttpRequestException("Connection refused (127.0.0.1:8500)"));
        Assert.Equal(ConsulErrorKind.Unreachable, error!.Kind);
        Assert.DoesNotContain("tok-123", error.Message, StringComparison.Ordinal);
    }

    /// <summary>An endless body of spaces (chunked: no Content-Length), counting what was read.</summary>
    private sealed class CountingStream(long totalBytes) : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, totalBytes - BytesRead);
            buffer.AsSpan(offset, n).Fill((byte)' ');
            BytesRead += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
