using System.Net;
using System.Net.Sockets;
using System.Text;
using Ambassador.FunctionalTests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Ambassador.FunctionalTests.Hosting;

/// <summary>
/// Request-smuggling variants sent as raw bytes: each carries a second request ("/smuggled") behind an ambiguously
/// framed first one. The proxy must answer 400, close the connection and never let the upstream see the second.
/// </summary>
public sealed class RequestFramingTests : IAsyncLifetime
{
    private const string Smuggled = "GET /api/smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n";
    private WireMockServer _upstream = null!;
    private TestAmbassador _amb = null!;

    /// <summary>Variants Kestrel lets through and Ambassador's request guard rejects (problem+json bad-request).</summary>
    public static TheoryData<string, string> GuardedVariants => new()
    {
        { "plus-sign", "POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: +5\r\n\r\nhello" },
        { "plus-zero", "POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: +0\r\n\r\n" },
        { "minus-zero", "POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: -0\r\n\r\n" },
        { "plus-53", "POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: +53\r\n\r\n" + new string('a', 53) },
        { "cl-and-te", "POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" },
        { "bare-lf-header", "POST /api/x HTTP/1.1\r\nHost: localhost\r\nX-A: a\nContent-Length: 5\r\n\r\nhello" },
        { "bare-lf-request-line", "POST /api/x HTTP/1.1\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello" },
        { "http10-chunked", "POST /api/x HTTP/1.0\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" },
        { "te-and-cl-zero", "POST /api/x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n5\r\nhello\r\n0\r\n\r\n" },
    };

    /// <summary>Variants Kestrel's parser already rejects (checked here so that a Kestrel change cannot reopen them).</summary>
    public static TheoryData<string, string> KestrelVariants => new()
    {
        { "cl-list-differing", "POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5, 6\r\n\r\nhello" },
        { "cl-list-equal", "POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5, 5\r\n\r\nhello" },
        { "cl-space-inside", "POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5 5\r\n\r\nhello" },
        { "cl-duplicate-differing", "POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello" },
        { "cl-duplicate-equal", "POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello" },
        { "cl-hex", "POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0x5\r\n\r\nhello" },
        { "cl-underscore", "POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5_2\r\n\r\nhello" },
        { "cl-negative", "POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: -5\r\n\r\nhello" },
        { "cl-overflow", "POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 99999999999999999999\r\n\r\nhello" },
        { "cl-empty", "POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: \r\n\r\nhello" },
        { "te-not-chunked", "POST /api/x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\n\r\nhello" },
        { "te-chunked-then-gzip", "POST /api/x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked, gzip\r\n\r\n5\r\nhello\r\n0\r\n\r\n" },
        { "te-obfuscated", "POST /api/x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: xchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" },
        { "te-space-before-colon", "POST /api/x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding : chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" },
        { "cl-space-before-colon", "POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Length : 5\r\n\r\nhello" },
        { "cl-tab-before-colon", "POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Length\t: 5\r\n\r\nhello" },
        { "obs-fold", "POST /api/x HTTP/1.1\r\nHost: localhost\r\nX-Folded: a\r\n b\r\nContent-Length: 5\r\n\r\nhello" },
        { "obs-fold-te", "POST /api/x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding:\r\n chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" },
        { "bare-cr-header", "POST /api/x HTTP/1.1\r\nHost: localhost\r\nX-A: a\rContent-Length: 5\r\n\r\nhello" },
        { "chunk-size-hex-prefix", "POST /api/x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n" },
        { "chunk-size-negative", "POST /api/x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n" },
        { "chunk-bare-lf", "POST /api/x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\n0\n\n" },
        { "chunk-data-overrun", "POST /api/x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n" },
        { "header-name-space", "POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent Length: 5\r\n\r\nhello" },
        { "header-nul", "POST /api/x HTTP/1.1\r\nHost: localhost\r\nX-A: a\0b\r\nContent-Length: 5\r\n\r\nhello" },
        { "request-line-double-space", "POST  /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello" },
    };

    public async Task InitializeAsync()
    {
        _upstream = Upstreams.StartWireMock();
        _upstream.Given(Request.Create()).RespondWith(Response.Create().WithStatusCode(200).WithBody("ok"));
        _amb = await TestAmbassador.StartAsync($$"""
            {
              "ReverseProxy": {
                "Routes": { "api": { "ClusterId": "backend", "Match": { "Path": "/api/{**rest}" } } },
                "Clusters": { "backend": { "Destinations": { "d1": { "Address": "{{_upstream.Address()}}" } } } }
              }
            }
            """);
    }

    public async Task DisposeAsync()
    {
        await _amb.DisposeAsync();
        _upstream.Dispose();
    }

    [Theory]
    [MemberData(nameof(GuardedVariants))]
    public async Task AmbiguousFraming_KestrelAccepts_GuardAnswers400BadRequestAndCloses(string name, string request)
    {
        var answer = await ExchangeAsync(request + Smuggled);

        Assert.True(answer.StartsWith("HTTP/1.1 400", StringComparison.Ordinal), $"{name}: {answer}");
        Assert.Contains("x-ambassador-error: bad-request", answer, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Content-Type: application/problem+json", answer, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Connection: close", answer, StringComparison.OrdinalIgnoreCase);
        AssertNothingSmuggled(name, answer);
    }

    [Theory]
    [MemberData(nameof(KestrelVariants))]
    public async Task AmbiguousFraming_KestrelRejects_Answers400AndCloses(string name, string request)
    {
        var answer = await ExchangeAsync(request + Smuggled);

        Assert.True(answer.StartsWith("HTTP/1.1 400", StringComparison.Ordinal), $"{name}: {answer}");
        AssertNothingSmuggled(name, answer);
    }

    [Fact]
    public async Task ContentLength_DigitsWithOptionalWhitespace_IsForwardedAndKeepsTheConnection()
    {
        // RFC 9112 §5: the field value is surrounded by optional whitespace, which is not part of it.
        var answer = await ExchangeAsync("POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: \t 005 \r\n\r\nhello" + Smuggled, expectClose: false);

        Assert.StartsWith("HTTP/1.1 200", answer, StringComparison.Ordinal);
        await Poll.UntilAsync(() => _upstream.LogEntries.Count() == 2, TimeSpan.FromSeconds(10), "both pipelined requests reached the upstream");
        Assert.Equal("hello", _upstream.LogEntries.Single(e => e.RequestMessage.Path == "/api/x").RequestMessage.Body);
    }

    [Fact]
    public async Task InvalidContentLength_AfterChunkedAndSizedRequests_IsFoundOnTheThirdRequest()
    {
        // The scanner follows the framing of the requests before (chunk extensions, trailers, a sized body) to
        // find the third request's header block.
        var answer = await ExchangeAsync(
            "POST /api/x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n" +
            "POST /api/y HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabc" +
            "POST /api/z HTTP/1.1\r\nHost: localhost\r\nContent-Length: +5\r\n\r\nhello" + Smuggled);

        Assert.Equal(3, CountOccurrences(answer, "HTTP/1.1 "));
        Assert.Contains("HTTP/1.1 400", answer, StringComparison.Ordinal);
        Assert.Contains("x-ambassador-error: bad-request", answer, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(["/api/x", "/api/y"], _upstream.LogEntries.Select(e => e.RequestMessage.Path).Order());
    }

    private void AssertNothingSmuggled(string name, string answer)
    {
        // One response, then the connection closed (ExchangeAsync read to the end): the second request was never parsed.
        Assert.True(CountOccurrences(answer, "HTTP/1.1 ") == 1, $"{name}: more than one response: {answer}");
        Assert.DoesNotContain(_upstream.LogEntries, e => e.RequestMessage.Path.Contains("smuggled", StringComparison.Ordinal));
    }

    private static int CountOccurrences(string text, string value)
    {
        var count = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    /// <summary>Sends the bytes and reads until the proxy closes the connection (or, without <paramref name="expectClose"/>, until two responses arrived).</summary>
    private async Task<string> ExchangeAsync(string request, bool expectClose = true)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, _amb.ProxyAddress.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = new StringBuilder();
        var buffer = new byte[8192];
        while (true)
        {
            int read;
            try
            {
                read = await stream.ReadAsync(buffer, cts.Token);
            }
            catch (IOException)
            {
                break; // reset after the response: closed
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"The proxy kept the connection open after: {received}");
                throw;
            }

            if (read == 0)
            {
                break;
            }

            received.Append(Encoding.Latin1.GetString(buffer, 0, read));
            if (!expectClose && CountOccurrences(received.ToString(), "HTTP/1.1 ") == 2)
            {
                break;
            }
        }

        return received.ToString();
    }
}
