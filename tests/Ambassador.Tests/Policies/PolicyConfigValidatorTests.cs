using Ambassador.Configuration;
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
    [InlineData("Retry:MaxRetries", "-1", "'-1' is out of range; use an integer from 0 to 10")]
    [InlineData("Retry:MaxRetries", "11", "'11' is out of range; use an integer from 0 to 10")]
    [InlineData("Retry:MaxRetries", "two", "'two' is not an integer; use an integer from 0 to 10")]
    [InlineData("Retry:BaseDelay", "00:00:00", "'00:00:00' is out of range; use a TimeSpan from 00:00:00.001 to 00:01:00, e.g. 00:00:00.025")]
    [InlineData("Retry:MaxDelay", "00:05:00", "'00:05:00' is out of range; use a TimeSpan from 00:00:00.001 to 00:01:00, e.g. 00:00:01")]
    [InlineData("Retry:MaxDelay", "00:00:00.010", "'00:00:00.010' is less than Ambassador:Policies:default:Retry:BaseDelay (00:00:00.025); use a MaxDelay of at least BaseDelay")]
    [InlineData("Retry:RetryOn", "503,teapot", "unknown condition(s) 'teapot'; use a comma-separated list of connect-failure, reset, per-try-timeout, 502, 503, 504, 429, gateway-error, grpc-unavailable, grpc-resource-exhausted, grpc-cancelled, grpc-deadline-exceeded, grpc-internal (set Retry:MaxRetries to 0 to turn retries off)")]
    [InlineData("Retry:RetryOn", " , ", "' , ' names no condition; use a comma-separated list of connect-failure, reset, per-try-timeout, 502, 503, 504, 429, gateway-error, grpc-unavailable, grpc-resource-exhausted, grpc-cancelled, grpc-deadline-exceeded, grpc-internal (set Retry:MaxRetries to 0 to turn retries off)")]
    [InlineData("Retry:RetryNonIdempotent", "yes", "'yes' is not a boolean; use true or false")]
    [InlineData("Retry:MaxBufferedBodyBytes", "16777217", "'16777217' is out of range; use an integer from 0 to 16777216")]
    [InlineData("Retry:Budget:Ratio", "-0.1", "'-0.1' is out of range; use a number from 0 to 10")]
    [InlineData("Retry:Budget:Ratio", "lots", "'lots' is not a number; use a number from 0 to 10")]
    [InlineData("Retry:Budget:MinPerSecond", "10001", "'10001' is out of range; use an integer from 0 to 10000")]
    [InlineData("CircuitBreaker:FailureRatio", "0", "'0' is out of range; use a number greater than 0 and at most 1")]
    [InlineData("CircuitBreaker:FailureRatio", "1.5", "'1.5' is out of range; use a number greater than 0 and at most 1")]
    [InlineData("CircuitBreaker:MinimumThroughput", "1", "'1' is out of range; use an integer from 2 to 10000")]
    [InlineData("CircuitBreaker:SamplingDuration", "00:00:00.100", "'00:00:00.100' is out of range; use a TimeSpan from 00:00:00.500 to 1.00:00:00, e.g. 00:00:10")]
    [InlineData("CircuitBreaker:BreakDuration", "soon", "'soon' is not a duration; use a TimeSpan from 00:00:00.500 to 1.00:00:00, e.g. 00:00:05")]
    [InlineData("Timeout:PerTry", "00:00:00.001", "'00:00:00.001' is out of range; use a TimeSpan from 00:00:00.010 to 1.00:00:00, e.g. 00:00:10")]
    [InlineData("Timeout:Total", "2.00:00:00", "'2.00:00:00' is out of range; use a TimeSpan from 00:00:00.010 to 1.00:00:00, e.g. 00:00:30")]
    [InlineData("Timeout:PerTry", "00:01:00", "'00:01:00' exceeds Ambassador:Policies:default:Timeout:Total (00:00:30); use a PerTry of at most Total")]
    [InlineData("Retry:MaxRetrys", "3", "unknown key; did you mean 'MaxRetries'?")]
    [InlineData("Timeout:Overall", "00:00:01", "unknown key; allowed here: PerTry, Total")]
    [InlineData("CircuitBreaker:ConsecutiveFailures", "1", "'1' is out of range; use 0 (off) or an integer from 2 to 10000")]
    [InlineData("CircuitBreaker:ConsecutiveFailures", "10001", "'10001' is out of range; use an integer from 0 to 10000")]
    [InlineData("CircuitBreaker:ConsecutiveFailures", "five", "'five' is not an integer; use an integer from 0 to 10000")]
    [InlineData("CircuitBreaker:MaxBreakDuration", "00:00:00.100", "'00:00:00.100' is out of range; use a TimeSpan from 00:00:00.500 to 1.00:00:00, e.g. 00:05:00")]
    [InlineData("CircuitBreaker:MaxBreakDuration", "00:00:02", "'00:00:02' is less than Ambassador:Policies:default:CircuitBreaker:BreakDuration (00:00:05); use a MaxBreakDuration of at least BreakDuration")]
    [InlineData("CircuitBreaker:MaxEjectionPercent", "101", "'101' is out of range; use an integer from 0 to 100")]
    [InlineData("CircuitBreaker:MaxEjectionPercent", "half", "'half' is not an integer; use an integer from 0 to 100")]
    [InlineData("Limits:Enabled", "off", "'off' is not a boolean; use true or false")]
    [InlineData("Limits:MaxConcurrentRequests", "0", "'0' is out of range; use an integer from 1 to 1000000")]
    [InlineData("Limits:MaxQueuedRequests", "-1", "'-1' is out of range; use an integer from 0 to 1000000")]
    [InlineData("Limits:QueueTimeout", "01:00:00", "'01:00:00' is out of range; use a TimeSpan from 00:00:00.001 to 00:10:00, e.g. 00:00:01")]
    [InlineData("Limits:QueueTimeout", "1s", "'1s' is not a duration; use a TimeSpan from 00:00:00.001 to 00:10:00, e.g. 00:00:01")]
    [InlineData("Limits:MaxConcurrentRetries", "three", "'three' is not an integer; use an integer from 0 to 1000000")]
    [InlineData("LoadBalancing:DecayWindow", "00:00:00.010", "'00:00:00.010' is out of range; use a TimeSpan from 00:00:00.100 to 00:10:00, e.g. 00:00:10")]
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
                "Ambassador:Policies:default:Retry:MaxRetries: '99' is out of range; use an integer from 0 to 10",
                "Ambassador:Policies:default:CircuitBreaker:MinimumThroughput: '0' is out of range; use an integer from 2 to 10000",
                "Ambassador:Policies:slow:Retry:Budget:MinPerSecond: '-1' is out of range; use an integer from 0 to 10000",
                "Ambassador:Policies:slow:Timeout:Total: 'forever' is not a duration; use a TimeSpan from 00:00:00.010 to 1.00:00:00, e.g. 00:00:30",
                "ReverseProxy:Clusters:inventory:Metadata:Policy: no policy named 'fast'; use one of default, none, slow",
            ],
            problems);
    }

    [Fact]
    public void Validate_PolicyIsAValue_Reported()
    {
        var problems = Problems(new Dictionary<string, string?> { ["Ambassador:Policies:fast"] = "yes" });

        Assert.Equal(["Ambassador:Policies:fast: is a single value, not a section; put Retry, CircuitBreaker, Limits, LoadBalancing, Timeout under it"], problems);
    }

    [Fact]
    public void Validate_ClusterNamesDefaultWithoutConfiguredDefault_Valid()
        => Assert.Empty(Problems(new Dictionary<string, string?> { ["ReverseProxy:Clusters:c:Metadata:Policy"] = "default" }));

    [Fact]
    public void Options_DefaultsComeFromTheDeclarations()
    {
        var options = new PolicyOptions();

        Assert.Equal(PolicyOptionTable.MaxRetries.Default, options.Retry.MaxRetries);
        Assert.Equal(PolicyOptionTable.RetryOn.Default, options.Retry.RetryOn);
        Assert.Equal(PolicyOptionTable.BudgetRatio.Default, options.Retry.Budget.Ratio);
        Assert.Equal(PolicyOptionTable.FailureRatio.Default, options.CircuitBreaker.FailureRatio);
        Assert.Equal(PolicyOptionTable.Total.Default, options.Timeout.Total);
    }

    [Fact]
    public void Section_DeclaresEveryOption()
    {
        var keys = PolicyOptionTable.Section.Options.Select(o => o.Key).ToList();

        Assert.Contains("Retry:MaxRetries", keys);
        Assert.Contains("Retry:Budget:Ratio", keys);
        Assert.Contains("CircuitBreaker:BreakDuration", keys);
        Assert.Contains("Timeout:Total", keys);
        Assert.Contains("Limits:Enabled", keys);
        Assert.Contains("Limits:MaxConcurrentRequests", keys);
        Assert.Contains("LoadBalancing:DecayWindow", keys);
        Assert.Equal(23, keys.Count);
    }

    private static List<string> Problems(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var problems = new ConfigProblems();
        new OptionValidator([PolicyOptionTable.Section]).Validate(configuration, problems);
        PolicyConfigValidator.Validate(configuration, problems);
        return [.. problems.Lines];
    }
}
