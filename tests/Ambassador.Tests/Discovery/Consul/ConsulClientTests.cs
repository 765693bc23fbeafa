using Ambassador.Discovery.Consul;

namespace Ambassador.Tests.Discovery.Consul;

public class ConsulClientTests
{
    [Fact]
    public void BuildUri_AllOptions_SendsPassingDcFilterIndexAndWait()
    {
        var options = new ConsulOptions
        {
            Address = "http://127.0.0.1:8500/",
            Datacenter = "dc2",
            Filter = "Service.Tags contains \"primary\"",
            WaitTime = TimeSpan.FromMinutes(5),
            Token = "secret-token",
        };

        var uri = ConsulClient.BuildUri(options, "inventory", 42);

        Assert.Equal(
            "http://127.0.0.1:8500/v1/health/service/inventory?passing=true&dc=dc2&filter=Service.Tags%20contains%20%22primary%22&index=42&wait=300s",
            uri.AbsoluteUri);
        Assert.DoesNotContain("secret", uri.AbsoluteUri, StringComparison.Ordinal);
    }

    [Fact]
    public void BuildUri_NoIndexAndNotOnlyPassing_IsAPlainRead()
    {
        var uri = ConsulClient.BuildUri(new ConsulOptions { Address = "http://127.0.0.1:8500", OnlyPassing = false }, "inventory", 0);
        Assert.Equal("http://127.0.0.1:8500/v1/health/service/inventory", uri.AbsoluteUri);
    }

    [Theory]
    [InlineData("00:05:00", "300s")]
    [InlineData("00:00:02", "2s")]
    [InlineData("00:00:01.500", "1500ms")]
    public void FormatWait_UsesGoDurationSyntax(string wait, string expected) =>
        Assert.Equal(expected, ConsulClient.FormatWait(TimeSpan.Parse(wait, System.Globalization.CultureInfo.InvariantCulture)));
}
