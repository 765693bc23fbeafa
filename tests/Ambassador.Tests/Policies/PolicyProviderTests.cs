using Ambassador.Policies;
using Ambassador.Policies.Retry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Configuration;

namespace Ambassador.Tests.Policies;

public sealed class PolicyProviderTests
{
    [Fact]
    public void ForCluster_NoPolicies_BuiltInDefault()
    {
        using var services = Build(new Dictionary<string, string?>(), out _);
        var provider = services.GetRequiredService<PolicyProvider>();

        var policy = provider.ForCluster(Cluster(policy: null));

        Assert.Equal("default", policy.Name);
        Assert.Equal(PolicyOptionTable.MaxRetries.Default, policy.MaxRetries);
        Assert.NotNull(policy.Retrying);
    }

    [Fact]
    public void ForRequest_PolicyNone_NoPolicyStep()
    {
        using var services = Build(new Dictionary<string, string?>(), out _);
        var provider = services.GetRequiredService<PolicyProvider>();

        Assert.Null(provider.ForRequest(Cluster("none")));
        Assert.Null(provider.ForRequest(Cluster("None")));
        Assert.Equal("default", provider.ForRequest(Cluster(null))!.Name);
    }

    [Fact]
    public void ForCluster_NamedPolicy_CaseInsensitive()
    {
        using var services = Build(new Dictionary<string, string?> { ["Ambassador:Policies:Fast:Retry:MaxRetries"] = "0" }, out _);
        var provider = services.GetRequiredService<PolicyProvider>();

        var policy = provider.ForCluster(Cluster("fast"));

        Assert.Equal("Fast", policy.Name);
        Assert.Equal(0, policy.MaxRetries);
        Assert.Null(policy.Retrying);
        Assert.Equal("default", provider.ForCluster(Cluster(null)).Name);
    }

    [Fact]
    public void ForCluster_ConfiguredDefault_AppliesToClustersNamingNone()
    {
        using var services = Build(new Dictionary<string, string?> { ["Ambassador:Policies:default:Retry:MaxRetries"] = "5" }, out _);

        Assert.Equal(5, services.GetRequiredService<PolicyProvider>().ForCluster(Cluster(null)).MaxRetries);
    }

    [Fact]
    public void Reload_ConfigChanges_NewPolicyServed()
    {
        using var services = Build(new Dictionary<string, string?> { ["Ambassador:Policies:p:Retry:MaxRetries"] = "1" }, out var configuration);
        var provider = services.GetRequiredService<PolicyProvider>();
        Assert.Equal(1, provider.ForCluster(Cluster("p")).MaxRetries);

        configuration["Ambassador:Policies:p:Retry:MaxRetries"] = "4";
        configuration.Reload();

        Assert.Equal(4, provider.ForCluster(Cluster("p")).MaxRetries);
    }

    private static ClusterConfig Cluster(string? policy) => new()
    {
        ClusterId = "c",
        Metadata = policy is null ? null : new Dictionary<string, string> { ["Policy"] = policy },
    };

    private static ServiceProvider Build(Dictionary<string, string?> settings, out IConfigurationRoot configuration)
    {
        configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddAmbassadorPolicies(configuration);
        return services.BuildServiceProvider();
    }
}
