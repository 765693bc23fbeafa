using Ambassador.Policies;
using Ambassador.Policies.Configuration;
using Microsoft.Extensions.Configuration;

namespace Ambassador.Tests.Policies;

public sealed class PolicyConfigValidatorTests
{
    [Fact]
    public void Validate_NoPolicies_Valid()
        => Assert.Empty(Problems(new Dictionary<string, string?>()));

    [Fact]
    public void Validate_FullValidPolicy_Valid()
    {
        var problems = Problems(new Dictionary<string, string?>
        {
            ["Ambassador:Policies:fast:Retry:MaxRetries"] = "3",
            ["Ambassador:Policies:fast:Retry:BaseDelay"] = "00:00:00.010",
            ["Ambassador:Policies:fast:Retry:MaxDelay"] = "00:00:00.500",
            ["Ambassador:Policies:fast:Retry:RetryOn"] = "connect-failure, reset ,gateway-error",
            ["Ambassador:Policies:fast:Retry:RetryNonIdempotent"] = "true",
            ["Ambassador:Policies:fast:Retry:MaxBufferedBodyBytes"] = "0",
            ["Ambassador:Policies:fast:Retry:Budget:Ratio"] = "0.5",
            ["Ambassador:Policies:fast:Retry:Budget:MinPerSecond"] = "0",
            ["Ambassador:Policies:fast:CircuitBreaker:FailureRatio"] = "1",
            ["Ambassador:Policies:fast:CircuitBreaker:MinimumThroughput"] = "2",
            ["Ambassador:Policies:fast:CircuitBreaker:SamplingDuration"] = "00:00:00.500",
            ["Ambassador:Policies:fast:CircuitBreaker:BreakDuration"] = "1.00:00:00",
            ["Ambassador:Policies:fast:Timeout:PerTry"] = "00:00:02",
            ["Ambassador:Policies:fast:Timeout:Total"] = "00:00:02",
            ["Ambassador:Policies:fast:CircuitBreaker:ConsecutiveFailures"] = "0",
            ["Ambassador:Policies:fast:CircuitBreaker:MaxBreakDuration"] = "1.00:00:00",
            ["Ambassador:Policies:fast:CircuitBreaker:MaxEjectionPercent"] = "100",
            ["Ambassador:Policies:fast:Limits:MaxConcurrentRequests"] = "1",
            ["Ambassador:Policies:fast:Limits:MaxQueuedRequests"] = "0",
            ["Ambassador:Policies:fast:Limits:QueueTimeout"] = "00:10:00",
            ["Ambassador:Policies:fast:Limits:MaxConcurrentRetries"] = "0",
            ["Ambassador:Policies:fast:LoadBalancing:DecayWindow"] = "00:00:00.100",
            ["ReverseProxy:Clusters:inventory:Metadata:Policy"] = "FAST",
            ["ReverseProxy:Clusters:other:Metadata:Policy"] = "default",
            ["ReverseProxy:Clusters:plain:Destinations:d:Address"] = "http://127.0.0.1:1",
        });

        Assert.Empty(problems);
    }

    [Theory]
    [InlineData("Retry:MaxRetries", "-1", "must be between 0 and 10")]
    [InlineData("Retry:MaxRetries", "11", "must be between 0 and 10")]
    [InlineData("Retry:MaxRetries", "two", "'two' is not a whole number")]
    [InlineData("Retry:BaseDelay", "00:00:00", "must be between 00:00:00.001 and 00:01:00")]
    [InlineData("Retry:MaxDelay", "00:05:00", "must be between 00:00:00.001 and 00:01:00")]
    [InlineData("Retry:MaxDelay", "00:00:00.010", "must be at least Retry:BaseDelay (00:00:00.025)")]
    [InlineData("Retry:RetryOn", "503,teapot", "unknown condition(s) 'teapot'; use any of: connect-failure, reset, per-try-timeout, 502, 503, 504, 429, gateway-error")]
    [InlineData("Retry:RetryOn", " , ", "must name at least one of: connect-failure, reset, per-try-timeout, 502, 503, 504, 429, gateway-error (set Retry:MaxRetries to 0 to turn retries off)")]
    [InlineData("Retry:RetryNonIdempotent", "yes", "'yes' is not true or false")]
    [InlineData("Retry:MaxBufferedBodyBytes", "16777217", "must be between 0 and 16777216")]
    [InlineData("Retry:Budget:Ratio", "-0.1", "must be between 0 and 10")]
    [InlineData("Retry:Budget:Ratio", "lots", "'lots' is not a number")]
    [InlineData("Retry:Budget:MinPerSecond", "10001", "must be between 0 and 10000")]
    [InlineData("CircuitBreaker:FailureRatio", "0", "must be greater than 0 and at most 1")]
    [InlineData("CircuitBreaker:FailureRatio", "1.5", "must be greater than 0 and at most 1")]
    [InlineData("CircuitBreaker:MinimumThroughput", "1", "must be between 2 and 10000")]
    [InlineData("CircuitBreaker:SamplingDuration", "00:00:00.100", "must be between 00:00:00.500 and 1.00:00:00")]
    [InlineData("CircuitBreaker:BreakDuration", "soon", "'soon' is not a duration (use a TimeSpan string such as 00:00:00.500)")]
    [InlineData("Timeout:PerTry", "00:00:00.001", "must be between 00:00:00.010 and 1.00:00:00")]
    [InlineData("Timeout:Total", "2.00:00:00", "must be between 00:00:00.010 and 1.00:00:00")]
    [InlineData("Timeout:PerTry", "00:01:00", "must not exceed Timeout:Total (00:00:30)")]
    [InlineData("CircuitBreaker:ConsecutiveFailures", "1", "1 is out of range; use 0 (off) or 2 to 10000")]
    [InlineData("CircuitBreaker:ConsecutiveFailures", "10001", "10001 is out of range; use 0 (off) or 2 to 10000")]
    [InlineData("CircuitBreaker:ConsecutiveFailures", "five", "'five' is not a whole number")]
    [InlineData("CircuitBreaker:MaxBreakDuration", "00:00:00.100", "00:00:00.1 is out of range; use 00:00:00.500 to 1.00:00:00")]
    [InlineData("CircuitBreaker:MaxBreakDuration", "00:00:02", "00:00:02 is shorter than CircuitBreaker:BreakDuration; use at least 00:00:05")]
    [InlineData("CircuitBreaker:MaxBreakDuration", "long", "'long' is not a duration (use a TimeSpan string such as 00:00:00.500)")]
    [InlineData("CircuitBreaker:MaxEjectionPercent", "101", "101 is out of range; use 0 to 100 (a cluster may always eject one destination)")]
    [InlineData("CircuitBreaker:MaxEjectionPercent", "-1", "-1 is out of range; use 0 to 100 (a cluster may always eject one destination)")]
    [InlineData("CircuitBreaker:MaxEjectionPercent", "half", "'half' is not a whole number")]
    [InlineData("Limits:MaxConcurrentRequests", "0", "0 is out of range; use 1 to 1000000")]
    [InlineData("Limits:MaxConcurrentRequests", "1000001", "1000001 is out of range; use 1 to 1000000")]
    [InlineData("Limits:MaxConcurrentRequests", "many", "'many' is not a whole number")]
    [InlineData("Limits:MaxQueuedRequests", "-1", "-1 is out of range; use 0 (no queue) to 1000000")]
    [InlineData("Limits:MaxQueuedRequests", "1.5", "'1.5' is not a whole number")]
    [InlineData("Limits:QueueTimeout", "00:00:00", "00:00:00 is out of range; use 00:00:00.001 to 00:10:00")]
    [InlineData("Limits:QueueTimeout", "01:00:00", "01:00:00 is out of range; use 00:00:00.001 to 00:10:00")]
    [InlineData("Limits:QueueTimeout", "1s", "'1s' is not a duration (use a TimeSpan string such as 00:00:00.500)")]
    [InlineData("Limits:MaxConcurrentRetries", "-3", "-3 is out of range; use 0 (no retries) to 1000000")]
    [InlineData("Limits:MaxConcurrentRetries", "three", "'three' is not a whole number")]
    [InlineData("LoadBalancing:DecayWindow", "00:00:00.010", "00:00:00.01 is out of range; use 00:00:00.100 to 00:10:00")]
    [InlineData("LoadBalancing:DecayWindow", "10s", "'10s' is not a duration (use a TimeSpan string such as 00:00:00.500)")]
    public void Validate_BadValue_ReportsFullKeyAndReason(string key, string value, string message)
    {
        var problems = Problems(new Dictionary<string, string?> { ["Ambassador:Policies:default:" + key] = value });

        Assert.Equal([$"Ambassador:Policies:default:{key}: {message}"], problems);
    }

    [Fact]
    public void Validate_ManyProblems_ReportsEveryOne()
    {
        var problems = Problems(new Dictionary<string, string?>
        {
            ["Ambassador:Policies:default:Retry:MaxRetries"] = "99",
            ["Ambassador:Policies:default:CircuitBreaker:MinimumThroughput"] = "0",
            ["Ambassador:Policies:slow:Timeout:Total"] = "forever",
            ["Ambassador:Policies:slow:Retry:Budget:MinPerSecond"] = "-1",
            ["ReverseProxy:Clusters:inventory:Metadata:Policy"] = "fast",
        });

        Assert.Equal(
            [
                "Ambassador:Policies:default:Retry:MaxRetries: must be between 0 and 10",
                "Ambassador:Policies:default:CircuitBreaker:MinimumThroughput: must be between 2 and 10000",
                "Ambassador:Policies:slow:Timeout:Total: 'forever' is not a duration (use a TimeSpan string such as 00:00:00.500)",
                "ReverseProxy:Clusters:inventory:Metadata:Policy: no policy named 'fast'",
            ],
            problems);
    }

    [Fact]
    public void Validate_PolicyIsAValue_Reported()
    {
        var problems = Problems(new Dictionary<string, string?> { ["Ambassador:Policies:fast"] = "yes" });

        Assert.Equal(["Ambassador:Policies:fast: must be a section with Retry, CircuitBreaker, Timeout, Limits and/or LoadBalancing settings, not a value"], problems);
    }

    [Fact]
    public void Validate_ClusterNamesDefaultWithoutConfiguredDefault_Valid()
        => Assert.Empty(Problems(new Dictionary<string, string?> { ["ReverseProxy:Clusters:c:Metadata:Policy"] = "default" }));

    [Fact]
    public void Check_DataAnnotationsAgreeWithChecks()
    {
        var validator = new PolicyOptionsDataAnnotationsValidator();
        Assert.True(validator.Validate("p", new PolicyOptions()).Succeeded);

        var bad = new PolicyOptions();
        bad.Retry.MaxRetries = 11;
        bad.CircuitBreaker.FailureRatio = 0;
        bad.Timeout.PerTry = TimeSpan.Zero;

        Assert.True(validator.Validate("p", bad).Failed);
        Assert.Equal(["Retry:MaxRetries", "CircuitBreaker:FailureRatio", "Timeout:PerTry"], PolicyConfigValidator.Check(bad).Select(p => p.Key));
    }

    [Fact]
    public void KeyPatterns_CoverEveryOption()
    {
        var patterns = PolicyConfigValidator.KeyPatterns();

        Assert.Contains("Policies:*:Retry:MaxRetries", patterns);
        Assert.Contains("Policies:*:Retry:Budget:Ratio", patterns);
        Assert.Contains("Policies:*:CircuitBreaker:BreakDuration", patterns);
        Assert.Contains("Policies:*:Timeout:Total", patterns);
        Assert.Contains("Policies:*:CircuitBreaker:ConsecutiveFailures", patterns);
        Assert.Contains("Policies:*:Limits:MaxConcurrentRequests", patterns);
        Assert.Contains("Policies:*:LoadBalancing:DecayWindow", patterns);
        Assert.Equal(22, patterns.Length);
    }

    private static List<string> Problems(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var problems = new List<string>();
        PolicyConfigValidator.Validate(configuration, (key, message) => problems.Add($"{key}: {message}"));
        return problems;
    }
}
