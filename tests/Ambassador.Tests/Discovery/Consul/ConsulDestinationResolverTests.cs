using Ambassador.Discovery.Consul;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.ServiceDiscovery;

namespace Ambassador.Tests.Discovery.Consul;

public class ConsulDestinationResolverTests
{
    private static ServiceProvider Build(FakeConsulClient client, string? address = "http://127.0.0.1:8500")
    {
        var config = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Ambassador:Discovery:Consul:Address"] = address })
            .Build();
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton<IConsulHealthClient>(client);
        services.AddAmbassadorConsulDiscovery(config);
        return services.BuildServiceProvider();
    }

    private static Dictionary<string, DestinationConfig> Destinations(params (string Id, string Address)[] destinations) =>
        destinations.ToDictionary(d => d.Id, d => new DestinationConfig { Address = d.Address });

    [Fact]
    public async Task Resolve_LiteralAndLocalhostAddresses_PassThroughUnchanged()
    {
        var client = new FakeConsulClient();
        await using var sp = Build(client);
        var resolver = sp.GetRequiredService<IDestinationResolver>();
        var input = Destinations(("a", "http://127.0.0.1:5001"), ("b", "http://localhost:5002"), ("c", "http://[::1]:5003"));

        var result = await resolver.ResolveDestinationsAsync(input, CancellationToken.None);

        Assert.Equal(input, result.Destinations);
        Assert.Equal(0, client.Calls);
    }

    [Fact]
    public async Task Resolve_ConsulNotConfigured_NamesUsedAsWritten()
    {
        var client = new FakeConsulClient();
        await using var sp = Build(client, address: null);
        var input = Destinations(("a", "http://inventory"));

        var result = await sp.GetRequiredService<IDestinationResolver>().ResolveDestinationsAsync(input, CancellationToken.None);

        Assert.Equal(input, result.Destinations);
        Assert.Equal(0, client.Calls);
    }

    [Fact]
    public async Task Resolve_NamedService_ExpandsToStableInstanceIdsWithServiceHost()
    {
        using var gate = new ManualResetEventSlim();
        var client = new FakeConsulClient
        {
            Responder = _ =>
            {
                gate.Wait(TimeSpan.FromSeconds(10));
                return new ConsulQueryResult([FakeConsulClient.Entry("127.0.0.1", 5001), FakeConsulClient.Entry("::1", 5002)], 7);
            },
        };
        await using var sp = Build(client);
        var resolver = sp.GetRequiredService<IDestinationResolver>();
        var input = Destinations(("d1", "http://inventory/api/"), ("static", "http://127.0.0.1:6000"));

        var before = await resolver.ResolveDestinationsAsync(input, CancellationToken.None);
        Assert.Equal(["static"], before.Destinations.Keys);
        Assert.False(before.ChangeToken!.HasChanged);

        gate.Set();
        await Poll(() => before.ChangeToken.HasChanged);
        var after = await resolver.ResolveDestinationsAsync(input, CancellationToken.None);

        Assert.Equal(
            new[] { "inventory[127.0.0.1:5001]", "inventory[[::1]:5002]", "static" },
            after.Destinations.Keys.Order(StringComparer.Ordinal));
        var v4 = after.Destinations["inventory[127.0.0.1:5001]"];
        Assert.Equal("http://127.0.0.1:5001/api/", v4.Address);
        Assert.Equal("inventory", v4.Host);
        Assert.Equal("http://[::1]:5002/api/", after.Destinations["inventory[[::1]:5002]"].Address);
    }

    [Fact]
    public async Task Resolve_DestinationHostOrStaticMetadata_Respected()
    {
        var client = new FakeConsulClient { Responder = _ => new ConsulQueryResult([FakeConsulClient.Entry("127.0.0.1", 5001)], 3) };
        await using var sp = Build(client);
        var resolver = sp.GetRequiredService<IDestinationResolver>();
        var input = new Dictionary<string, DestinationConfig>
        {
            ["d1"] = new() { Address = "http://inventory", Host = "inventory.internal" },
            ["ext"] = new() { Address = "http://api.example.com", Metadata = new Dictionary<string, string> { ["Discovery"] = "static" } },
        };

        var first = await resolver.ResolveDestinationsAsync(input, CancellationToken.None);
        await Poll(() => first.ChangeToken!.HasChanged || first.Destinations.Count == 2);
        var result = await resolver.ResolveDestinationsAsync(input, CancellationToken.None);

        Assert.Equal("inventory.internal", result.Destinations["inventory[127.0.0.1:5001]"].Host);
        Assert.Equal("http://api.example.com", result.Destinations["ext"].Address);
        Assert.Equal(2, result.Destinations.Count);
    }

    private static async Task Poll(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 10 s");
            await Task.Yield();
            await Task.Delay(10);
        }
    }
}
