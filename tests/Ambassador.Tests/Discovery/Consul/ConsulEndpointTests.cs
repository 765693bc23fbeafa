using Ambassador.Discovery.Consul;

namespace Ambassador.Tests.Discovery.Consul;

public class ConsulEndpointTests
{
    [Fact]
    public void FromEntries_ServiceAddressEmpty_FallsBackToNodeAddress()
    {
        var endpoints = ConsulEndpoint.FromEntries([FakeConsulClient.Entry("", 5001, nodeAddress: "127.0.0.2")], onlyPassing: true);
        Assert.Equal([new ConsulEndpoint("127.0.0.2", 5001)], endpoints);
    }

    [Fact]
    public void FromEntries_ServiceAddressSet_WinsOverNodeAddress()
    {
        var endpoints = ConsulEndpoint.FromEntries([FakeConsulClient.Entry("127.0.0.3", 5001, nodeAddress: "127.0.0.2")], onlyPassing: true);
        Assert.Equal([new ConsulEndpoint("127.0.0.3", 5001)], endpoints);
    }

    [Fact]
    public void FromEntries_SortsAndRemovesDuplicates()
    {
        var endpoints = ConsulEndpoint.FromEntries(
            [FakeConsulClient.Entry("127.0.0.1", 5002), FakeConsulClient.Entry("127.0.0.1", 5001), FakeConsulClient.Entry("127.0.0.1", 5002)],
            onlyPassing: true);
        Assert.Equal([new ConsulEndpoint("127.0.0.1", 5001), new ConsulEndpoint("127.0.0.1", 5002)], endpoints);
    }

    [Fact]
    public void FromEntries_CriticalAlwaysDropped_WarningKeptOnlyWhenNotOnlyPassing()
    {
        ConsulServiceEntry[] entries =
        [
            FakeConsulClient.Entry("127.0.0.1", 5001, status: "critical"),
            FakeConsulClient.Entry("127.0.0.1", 5002, status: "warning"),
            FakeConsulClient.Entry("127.0.0.1", 5003),
        ];
        Assert.Equal([new ConsulEndpoint("127.0.0.1", 5003)], ConsulEndpoint.FromEntries(entries, onlyPassing: true));
        Assert.Equal(
            [new ConsulEndpoint("127.0.0.1", 5002), new ConsulEndpoint("127.0.0.1", 5003)],
            ConsulEndpoint.FromEntries(entries, onlyPassing: false));
    }

    [Fact]
    public void FromEntries_NoPortOrNoAddress_Dropped()
    {
        ConsulServiceEntry[] entries =
        [
            FakeConsulClient.Entry("127.0.0.1", 0),
            FakeConsulClient.Entry("", 5002, nodeAddress: ""),
            new ConsulServiceEntry { Node = new ConsulNode { Address = "127.0.0.1" } },
        ];
        Assert.Empty(ConsulEndpoint.FromEntries(entries, onlyPassing: true));
    }

    [Fact]
    public void Authority_Ipv6_IsBracketed()
    {
        Assert.Equal("[::1]:5001", new ConsulEndpoint("::1", 5001).Authority);
        Assert.Equal("127.0.0.1:5001", new ConsulEndpoint("127.0.0.1", 5001).Authority);
    }
}
