using Ambassador.Configuration;
using Ambassador.FunctionalTests.Infrastructure;
using Ambassador.Hosting;

namespace Ambassador.FunctionalTests.Configuration;

/// <summary>Bad configuration is refused with one line per problem naming the key, exit code 2.</summary>
public sealed class ConfigValidationTests
{
    private const string Upstream = "http://127.0.0.1:1/";

    private static string WithProxy(string ambassador, string routes, string clusters) => $$"""
        { "Ambassador": { {{ambassador}} }, "ReverseProxy": { "Routes": { {{routes}} }, "Clusters": { {{clusters}} } } }
        """;

    private static readonly string GoodRoute = """ "r": { "ClusterId": "c", "Match": { "Path": "/{**all}" } } """;
    private static readonly string GoodCluster = $$""" "c": { "Destinations": { "d1": { "Address": "{{Upstream}}" } } } """;

    public static TheoryData<string, string> BadConfigurations => new()
    {
        {
            WithProxy("", """ "orders": { "ClusterId": "order", "Match": { "Path": "/orders/{**rest}" } } """, GoodCluster),
            "ReverseProxy:Routes:orders:ClusterId: no cluster named 'order'; use one of c"
        },
        {
            WithProxy(""" "Listeners": { "Proxy": "localhost:3000" } """, GoodRoute, GoodCluster),
            "Ambassador:Listeners:Proxy: 'localhost:3000' is not a listener URL; use http://<ip or localhost>:<port>, e.g. http://127.0.0.1:3000"
        },
        {
            WithProxy(""" "Listeners": { "Admin": "https://127.0.0.1:9901" } """, GoodRoute, GoodCluster),
            "Ambassador:Listeners:Admin: 'https://127.0.0.1:9901' does not use the http scheme; use http://<ip or localhost>:<port>, e.g. http://127.0.0.1:9901"
        },
        {
            WithProxy(""" "Listeners": { "Proxy": "http://127.0.0.1:4000", "Admin": "http://127.0.0.1:4000" } """, GoodRoute, GoodCluster),
            "Ambassador:Listeners:Admin: 'http://127.0.0.1:4000' uses port 4000 of Ambassador:Listeners:Proxy; use another port (admin endpoints are never served on the proxy port)"
        },
        {
            WithProxy(""" "Lifecycle": { "DrainTimeout": "10s" } """, GoodRoute, GoodCluster),
            "Ambassador:Lifecycle:DrainTimeout: '10s' is not a duration; use a TimeSpan greater than 00:00:00, e.g. 00:00:10"
        },
        {
            WithProxy(""" "Lifecycle": { "DrainTimeout": "-00:00:01" } """, GoodRoute, GoodCluster),
            "Ambassador:Lifecycle:DrainTimeout: '-00:00:01' is out of range; use a TimeSpan greater than 00:00:00, e.g. 00:00:10"
        },
        {
            WithProxy(""" "Listners": { "Proxy": "http://127.0.0.1:3000" } """, GoodRoute, GoodCluster),
            "Ambassador:Listners: unknown key; did you mean 'Listeners'?"
        },
        {
            WithProxy("", GoodRoute, """ "c": { "Destinations": { "d1": { "Address": "not a url" } } } """),
            "ReverseProxy:Clusters:c:Destinations:d1:Address: 'not a url' is not an absolute http or https URL; use e.g. http://10.0.0.5:8080, or http://<service> to resolve the service by discovery"
        },
        {
            WithProxy("", """ "r": { "ClusterId": "c", "Order": "first", "Match": { "Path": "/{**all}" } } """, GoodCluster),
            "ReverseProxy:Routes:r:Order: 'first' is not an integer; use a whole number such as 1"
        },
        {
            WithProxy("", """ "r": { "ClusterId": "c", "Match": { } } """, GoodCluster),
            "ReverseProxy:Routes:r: Route 'r' requires Hosts or Path specified. Set the Path to '/{**catchall}' to match all requests."
        },
        {
            WithProxy("", GoodRoute, $$""" "c": { "LoadBalancingPolicy": "Fastest", "Destinations": { "d1": { "Address": "{{Upstream}}" } } } """),
            "ReverseProxy:Clusters:c: No matching ILoadBalancingPolicy found for the load balancing policy 'Fastest' set on the cluster 'c'."
        },
        {
            WithProxy("", GoodRoute, $$""" "c": { "HttpRequest": { "Version": "7" }, "Destinations": { "d1": { "Address": "{{Upstream}}" } } } """),
            "ReverseProxy:Clusters:c:HttpRequest:Version: '7' is not an HTTP version; use 1.1, 2 or 3"
        },
        {
            WithProxy("", """ "r": { "ClusterId": "c", "AuthorizationPolicy": "Default", "Match": { "Path": "/{**all}" } } """, GoodCluster),
            "ReverseProxy:Routes:r:AuthorizationPolicy: 'Default' cannot be enforced: Ambassador does not authenticate requests; remove the key (or use Anonymous); the app beside the sidecar authorizes its callers"
        },
        {
            WithProxy("", """ "r": { "ClusterId": "c", "CorsPolicy": "Disable", "Match": { "Path": "/{**all}" } } """, GoodCluster),
            "ReverseProxy:Routes:r:CorsPolicy: not supported: Ambassador does not answer CORS requests itself; remove the key; the app's CORS headers pass through unchanged"
        },
        {
            WithProxy("", """ "r": { "ClusterId": "c", "RateLimiterPolicy": "Default", "Match": { "Path": "/{**all}" } } """, GoodCluster),
            "ReverseProxy:Routes:r:RateLimiterPolicy: 'Default' would not be applied: Ambassador runs no ASP.NET rate limiter; remove the key and bound the cluster with its policy's Limits (MaxConcurrentRequests, MaxQueuedRequests)"
        },
        {
            WithProxy("", """ "r": { "ClusterId": "c", "Timeout": "00:00:05", "Match": { "Path": "/{**all}" } } """, GoodCluster),
            "ReverseProxy:Routes:r:Timeout: not supported: Ambassador runs no ASP.NET request timeouts; remove the key and bound the request with its cluster policy's Timeout:Total"
        },
        {
            """{ "ReverseProxy": { "Route": {} } }""",
            "ReverseProxy:Route: unknown key; did you mean 'Routes'?"
        },
    };

    [Theory]
    [MemberData(nameof(BadConfigurations))]
    public void Validate_BadConfiguration_ReportsKeyAndExits2(string json, string expectedLine)
    {
        var (exitCode, stdout, stderr) = RunValidate(json);

        Assert.Equal(2, exitCode);
        Assert.Contains(expectedLine, stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.DoesNotContain("valid", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SeveralProblems_ReportsEveryOneAtOnce()
    {
        var json = WithProxy(
            """ "Listeners": { "Proxy": "nonsense" }, "Lifecycle": { "PreStopDelay": "soon" }, "Typo": 1 """,
            """ "orders": { "ClusterId": "missing", "Match": { "Path": "/o" } } """,
            GoodCluster);

        var (exitCode, _, stderr) = RunValidate(json);

        Assert.Equal(2, exitCode);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(4, lines.Length);
        Assert.Contains(lines, l => l.StartsWith("Ambassador:Listeners:Proxy: ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Ambassador:Lifecycle:PreStopDelay: ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Ambassador:Typo: ", StringComparison.Ordinal));
        Assert.Contains("ReverseProxy:Routes:orders:ClusterId: no cluster named 'missing'; use one of c", lines);
    }

    [Fact]
    public void Validate_GoodConfiguration_Exits0()
    {
        var (exitCode, stdout, stderr) = RunValidate(WithProxy(""" "Lifecycle": { "DrainTimeout": "00:00:05" } """, GoodRoute, GoodCluster));

        Assert.Equal(0, exitCode);
        Assert.Equal(string.Empty, stderr);
        Assert.Contains("configuration is valid", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_MalformedJson_NamesFileAndLine()
    {
        var json = "{\n  \"ReverseProxy\": {\n    \"Routes\": { ,\n  }\n}\n";

        var (exitCode, _, stderr) = RunValidate(json, out var path);

        Assert.Equal(2, exitCode);
        Assert.StartsWith($"{path}: invalid JSON at line 3, position ", stderr.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_MissingFile_Exits2()
    {
        var path = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + ".json");
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exitCode = ValidateCommand.Run([path], stdout, stderr);

        Assert.Equal(2, exitCode);
        Assert.Equal($"{path}: file not found; check the path given to validate", stderr.ToString().Trim());
    }

    [Fact]
    public async Task Start_WithBadConfiguration_Exits2WithMessagesOnStderr()
    {
        var path = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + ".json");
        await File.WriteAllTextAsync(path, WithProxy(""" "Lifecycle": { "DrainTimeout": "forever" } """, GoodRoute, GoodCluster));
        try
        {
            using var stdout = new StringWriter();
            using var stderr = new StringWriter();

            var exitCode = await AmbassadorHost.RunAsync(["--config", path, "--Ambassador:Listeners:Proxy=http://127.0.0.1:0", "--Ambassador:Listeners:Admin=http://127.0.0.1:0"], stdout, stderr);

            Assert.Equal(2, exitCode);
            Assert.Contains("Ambassador:Lifecycle:DrainTimeout: 'forever' is not a duration; use a TimeSpan greater than 00:00:00, e.g. 00:00:10",
                stderr.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task ValidateCommand_RealProcess_ExitCodes()
    {
        var good = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + ".json");
        var bad = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + ".json");
        await File.WriteAllTextAsync(good, WithProxy("", GoodRoute, GoodCluster));
        await File.WriteAllTextAsync(bad, WithProxy(""" "Listeners": { "Proxy": "ftp://x" } """, GoodRoute, GoodCluster));
        try
        {
            await using var valid = AmbassadorProcess.Start("validate", good);
            Assert.Equal(0, await valid.WaitForExitAsync(TimeSpan.FromSeconds(60)));

            await using var invalid = AmbassadorProcess.Start("validate", bad);
            Assert.Equal(2, await invalid.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("Ambassador:Listeners:Proxy: 'ftp://x' is not a listener URL", invalid.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(good);
            File.Delete(bad);
        }
    }

    private static (int ExitCode, string Stdout, string Stderr) RunValidate(string json) => RunValidate(json, out _);

    private static (int ExitCode, string Stdout, string Stderr) RunValidate(string json, out string path)
    {
        path = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, json);
        try
        {
            using var stdout = new StringWriter();
            using var stderr = new StringWriter();
            var exitCode = ValidateCommand.Run([path], stdout, stderr);
            return (exitCode, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
