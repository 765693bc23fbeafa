using System.Net;
using Ambassador.Hosting;

namespace Ambassador.Tests.Hosting;

public sealed class ListenerAddressTests
{
    [Theory]
    [InlineData("http://127.0.0.1:3000", "http", "127.0.0.1", 3000)]
    [InlineData("http://127.0.0.1:3000/", "http", "127.0.0.1", 3000)]
    [InlineData("https://0.0.0.0:3443", "https", "0.0.0.0", 3443)]
    [InlineData("http://[::1]:9901", "http", "::1", 9901)]
    [InlineData("http://*:80", "http", "0.0.0.0", 80)]
    [InlineData("http://127.0.0.1:0", "http", "127.0.0.1", 0)]
    public void Parse_ValidUrl_ReturnsAddress(string raw, string scheme, string ip, int port)
    {
        var address = ListenerAddress.Parse(raw);

        Assert.NotNull(address);
        Assert.Equal(scheme, address.Scheme);
        Assert.Equal(IPAddress.Parse(ip), address.Address);
        Assert.Equal(port, address.Port);
    }

    [Fact]
    public void Parse_Localhost_IsLocalhostWithoutAddress()
    {
        var address = ListenerAddress.Parse("http://localhost:3000");

        Assert.NotNull(address);
        Assert.True(address.IsLocalhost);
        Assert.Equal(3000, address.Port);
    }

    [Theory]
    [InlineData("")]
    [InlineData("localhost:3000")]
    [InlineData("ftp://127.0.0.1:21")]
    [InlineData("http://127.0.0.1")]
    [InlineData("http://127.0.0.1:70000")]
    [InlineData("http://127.0.0.1:-1")]
    [InlineData("http://example.com:80")]
    [InlineData("http://127.0.0.1:3000/path")]
    public void Parse_InvalidUrl_ReturnsNull(string raw) => Assert.Null(ListenerAddress.Parse(raw));
}
