using Ambassador.Hosting;

namespace Ambassador.FunctionalTests.Resilience;

public sealed class PolicyValidationTests
{
    [Fact]
    public async Task Validate_BadPolicies_ExitTwoWithEveryProblemByKey()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("ambassador-policy-").FullName, "bad.json");
        await File.WriteAllTextAsync(path, """
            {
              "Ambassador": { "Policies": {
                "default": { "Retry": { "MaxRetries": 11, "RetryOn": "503,teapot" }, "Timeout": { "PerTry": "00:01:00", "Total": "00:00:10" } },
                "fast": { "CircuitBreaker": { "FailureRatio": 0, "BreakDuration": "soon" } },
                "limited": { "CircuitBreaker": { "ConsecutiveFailures": 1, "MaxEjectionPercent": 150 },
                             "Limits": { "MaxConcurrentRequests": 0, "QueueTimeout": "00:30:00" } },
                "unparsable": { "LoadBalancing": { "DecayWindow": "soon" } }
              } },
              "ReverseProxy": {
                "Routes": { "r": { "ClusterId": "inventory", "Match": { "Path": "{**catch-all}" } } },
                "Clusters": { "inventory": { "Metadata": { "Policy": "fastest" }, "Destinations": { "d": { "Address": "http://127.0.0.1:1/" } } } }
              }
            }
            """);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exit = await AmbassadorHost.RunAsync(["validate", path], stdout, stderr);

        Assert.Equal(2, exit);
        var lines = stderr.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("Ambassador:Policies:default:Retry:MaxRetries: '11' is out of range; use an integer from 0 to 10", lines);
        Assert.Contains(lines, l => l.StartsWith("Ambassador:Policies:default:Retry:RetryOn: unknown condition(s) 'teapot'", StringComparison.Ordinal));
        Assert.Contains("Ambassador:Policies:default:Timeout:PerTry: '00:01:00' exceeds Ambassador:Policies:default:Timeout:Total (00:00:10); use a PerTry of at most Total", lines);
        Assert.Contains("Ambassador:Policies:fast:CircuitBreaker:BreakDuration: 'soon' is not a duration; use a TimeSpan from 00:00:00.500 to 1.00:00:00, e.g. 00:00:05", lines);
        Assert.Contains("ReverseProxy:Clusters:inventory:Metadata:Policy: no policy named 'fastest'; use one of default, fast, limited, none, unparsable", lines);
        Assert.Contains("Ambassador:Policies:limited:CircuitBreaker:ConsecutiveFailures: '1' is out of range; use 0 (off) or an integer from 2 to 10000", lines);
        Assert.Contains("Ambassador:Policies:limited:CircuitBreaker:MaxEjectionPercent: '150' is out of range; use an integer from 0 to 100", lines);
        Assert.Contains("Ambassador:Policies:limited:Limits:MaxConcurrentRequests: '0' is out of range; use an integer from 1 to 1000000", lines);
        Assert.Contains("Ambassador:Policies:limited:Limits:QueueTimeout: '00:30:00' is out of range; use a TimeSpan from 00:00:00.001 to 00:10:00, e.g. 00:00:01", lines);
        Assert.Contains("Ambassador:Policies:unparsable:LoadBalancing:DecayWindow: 'soon' is not a duration; use a TimeSpan from 00:00:00.100 to 00:10:00, e.g. 00:00:10", lines);
    }

    [Fact]
    public async Task Validate_GoodPolicy_ExitZero()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("ambassador-policy-").FullName, "good.json");
        await File.WriteAllTextAsync(path, """
            {
              "Ambassador": { "Policies": {
                "fast": { "Retry": { "MaxRetries": 1, "BaseDelay": "00:00:00.010", "MaxDelay": "00:00:00.200", "RetryOn": "connect-failure,gateway-error",
                                     "RetryNonIdempotent": false, "MaxBufferedBodyBytes": 1024, "Budget": { "Ratio": 0.1, "MinPerSecond": 5 } },
                          "CircuitBreaker": { "FailureRatio": 0.3, "MinimumThroughput": 10, "SamplingDuration": "00:00:20", "BreakDuration": "00:00:02" },
                          "Timeout": { "PerTry": "00:00:01", "Total": "00:00:03" } }
              } },
              "ReverseProxy": {
                "Routes": { "r": { "ClusterId": "inventory", "Match": { "Path": "{**catch-all}" } } },
                "Clusters": {
                  "inventory": { "Metadata": { "Policy": "fast" }, "Destinations": { "d": { "Address": "http://127.0.0.1:1/" } } },
                  "other": { "Metadata": { "Policy": "default" }, "Destinations": { "d": { "Address": "http://127.0.0.1:2/" } } }
                }
              }
            }
            """);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exit = await AmbassadorHost.RunAsync(["validate", path], stdout, stderr);

        Assert.True(exit == 0, stderr.ToString());
    }
}
