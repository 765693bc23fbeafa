using Ambassador.Configuration;
using Microsoft.Extensions.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Ambassador.Tests.Configuration;

public sealed class ProxyConfigReaderTests
{
    [Fact]
    public void Read_FullSchema_MapsEveryField()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ReverseProxy:Routes:r1:ClusterId"] = "c1",
            ["ReverseProxy:Routes:r1:Order"] = "5",
            ["ReverseProxy:Routes:r1:Match:Path"] = "/api/{**rest}",
            ["ReverseProxy:Routes:r1:Match:Methods:0"] = "GET",
            ["ReverseProxy:Routes:r1:Match:Headers:0:Name"] = "x-tenant",
            ["ReverseProxy:Routes:r1:Match:Headers:0:Values:0"] = "a",
            ["ReverseProxy:Routes:r1:Match:Headers:0:Mode"] = "HeaderPrefix",
            ["ReverseProxy:Routes:r1:Transforms:0:PathRemovePrefix"] = "/api",
            ["ReverseProxy:Routes:r1:Metadata:Owner"] = "team",
            ["ReverseProxy:Clusters:c1:LoadBalancingPolicy"] = "RoundRobin",
            ["ReverseProxy:Clusters:c1:Metadata:Policy"] = "fast",
            ["ReverseProxy:Clusters:c1:HttpRequest:Version"] = "2",
            ["ReverseProxy:Clusters:c1:HttpRequest:VersionPolicy"] = "RequestVersionExact",
            ["ReverseProxy:Clusters:c1:HttpRequest:ActivityTimeout"] = "00:00:30",
            ["ReverseProxy:Clusters:c1:HttpClient:SslProtocols:0"] = "Tls12",
            ["ReverseProxy:Clusters:c1:HttpClient:MaxConnectionsPerServer"] = "64",
            ["ReverseProxy:Clusters:c1:HealthCheck:Passive:Enabled"] = "true",
            ["ReverseProxy:Clusters:c1:Destinations:d1:Address"] = "http://127.0.0.1:5001/",
            ["ReverseProxy:Clusters:c1:Destinations:d1:Host"] = "inventory",
        }).Build();
        var problems = new ConfigProblems();

        var (routes, clusters) = ProxyConfigReader.Read(config, problems);

        Assert.True(problems.IsValid, problems.ToString());
        var route = Assert.Single(routes);
        Assert.Equal("r1", route.RouteId);
        Assert.Equal("c1", route.ClusterId);
        Assert.Equal(5, route.Order);
        Assert.Equal("/api/{**rest}", route.Match.Path);
        Assert.Equal(["GET"], route.Match.Methods!);
        Assert.Equal(Yarp.ReverseProxy.Configuration.HeaderMatchMode.HeaderPrefix, Assert.Single(route.Match.Headers!).Mode);
        Assert.Equal("/api", Assert.Single(route.Transforms!)["PathRemovePrefix"]);
        Assert.Equal("team", route.Metadata!["Owner"]);
        var cluster = Assert.Single(clusters);
        Assert.Equal("RoundRobin", cluster.LoadBalancingPolicy);
        Assert.Equal("fast", cluster.Metadata!["Policy"]);
        Assert.Equal(new Version(2, 0), cluster.HttpRequest!.Version);
        Assert.Equal(HttpVersionPolicy.RequestVersionExact, cluster.HttpRequest.VersionPolicy);
        Assert.Equal(TimeSpan.FromSeconds(30), cluster.HttpRequest.ActivityTimeout);
        Assert.Equal(System.Security.Authentication.SslProtocols.Tls12, cluster.HttpClient!.SslProtocols);
        Assert.Equal(64, cluster.HttpClient.MaxConnectionsPerServer);
        Assert.True(cluster.HealthCheck!.Passive!.Enabled);
        Assert.Equal("inventory", cluster.Destinations!["d1"].Host);
    }

    [Fact]
    public void Read_BadValues_ReportsEachWithItsKey()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ReverseProxy:Routes:r1:Order"] = "x",
            ["ReverseProxy:Routes:r1:Match:Headers:0:Mode"] = "Sometimes",
            ["ReverseProxy:Clusters:c1:HttpClient:SslProtocols:0"] = "Ssl2000",
            ["ReverseProxy:Clusters:c1:HealthCheck:Active:Interval"] = "often",
        }).Build();
        var problems = new ConfigProblems();

        ProxyConfigReader.Read(config, problems);

        Assert.Equal(4, problems.Lines.Count);
        Assert.Contains("ReverseProxy:Routes:r1:Order: 'x' is not an integer; use a whole number such as 1", problems.Lines);
        Assert.Contains(problems.Lines, l => l.StartsWith("ReverseProxy:Routes:r1:Match:Headers:0:Mode: 'Sometimes' is not allowed; use one of ", StringComparison.Ordinal));
        Assert.Contains("ReverseProxy:Clusters:c1:HttpClient:SslProtocols:0: 'Ssl2000' is not a TLS protocol; use Tls12 or Tls13", problems.Lines);
        Assert.Contains(problems.Lines, l => l.StartsWith("ReverseProxy:Clusters:c1:HealthCheck:Active:Interval: 'often' is not a duration; use a TimeSpan such as 00:00:05", StringComparison.Ordinal));
    }
}
