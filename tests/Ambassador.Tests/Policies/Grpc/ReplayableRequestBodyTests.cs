using Ambassador.Policies.Grpc;

namespace Ambassador.Tests.Policies.Grpc;

public sealed class ReplayableRequestBodyTests
{
    private static byte[] Bytes(int count) => [.. Enumerable.Range(0, count).Select(i => (byte)i)];

    [Fact]
    public async Task Rewind_AfterWholeBody_ReplaysTheSameBytes()
    {
        var body = Bytes(3000);
        var stream = new ReplayableRequestBody(new MemoryStream(body), limit: 4096);

        var first = await ReadAllAsync(stream, chunk: 700);
        Assert.True(stream.Rewind());
        var second = await ReadAllAsync(stream, chunk: 1024);

        Assert.Equal(body, first);
        Assert.Equal(body, second);
        Assert.Equal(3000, stream.BufferedBytes);
    }

    [Fact]
    public async Task Rewind_AfterPartOfTheBody_ReplaysThenContinuesWithTheRest()
    {
        var body = Bytes(2000);
        var stream = new ReplayableRequestBody(new MemoryStream(body), limit: 4096);
        var part = new byte[500];
        Assert.Equal(500, await stream.ReadAsync(part));

        Assert.True(stream.Rewind());
        var replayed = await ReadAllAsync(stream, chunk: 300);

        Assert.Equal(body, replayed);
    }

    [Fact]
    public async Task Read_BeyondLimit_NoLongerReplayableButStreamsOn()
    {
        var body = Bytes(5000);
        var stream = new ReplayableRequestBody(new MemoryStream(body), limit: 4096);

        var all = await ReadAllAsync(stream, chunk: 1000);

        Assert.Equal(body, all);
        Assert.False(stream.CanReplay);
        Assert.False(stream.Rewind());
        Assert.Equal(0, stream.BufferedBytes);
    }

    [Fact]
    public void Read_Synchronous_KeptLikeAsync()
    {
        var body = Bytes(100);
        var stream = new ReplayableRequestBody(new MemoryStream(body), limit: 100);
        var buffer = new byte[100];
        Assert.Equal(100, stream.Read(buffer, 0, 100));

        Assert.True(stream.Rewind());
        var again = new byte[100];
        Assert.Equal(100, stream.Read(again, 0, 100));
        Assert.Equal(body, again);
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream, int chunk)
    {
        var result = new MemoryStream();
        var buffer = new byte[chunk];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            result.Write(buffer, 0, read);
        }

        return result.ToArray();
    }
}
