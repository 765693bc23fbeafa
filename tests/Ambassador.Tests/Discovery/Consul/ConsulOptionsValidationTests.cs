using Ambassador.Discovery.Consul;
using Microsoft.Extensions.Configuration;

namespace Ambassador.Tests.Discovery.Consul;

public class ConsulOptionsValidationTests
{
    private static List<string> Validate(params (string Key, string Value)[] values)
    {
        var config = new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>("Ambassador:Discovery:Consul:" + v.Key, v.Value)))
            .Build();
        var problems = new List<string>();
        ConsulOptionsValidation.Validate(config, (key, message) => problems.Add($"{key}: {message}"));
        return problems;
    }

    [Fact]
    public void Validate_GoodOptions_NoProblems() =>
        Assert.Empty(Validate(("Address", "http://127.0.0.1:8500"), ("WaitTime", "00:05:00"), ("OnlyPassing", "false"), ("Token", "abc")));

    [Fact]
    public void Validate_NothingConfigured_NoProblems() => Assert.Empty(Validate());

    [Fact]
    public void Validate_EveryBadKey_ReportedAtOnceWithFullKey()
    {
        var problems = Validate(
            ("Address", "127.0.0.1:8500"),
            ("WaitTime", "0"),
            ("OnlyPassing", "yes"),
            ("MaxResponseBytes", "-1"),
            ("Token", "bad\r\ntoken"));

        Assert.Equal(
            [
                "Ambassador:Discovery:Consul:Address: must be an absolute http(s) URL such as http://127.0.0.1:8500, got '127.0.0.1:8500'",
                "Ambassador:Discovery:Consul:WaitTime: must be greater than 00:00:00 and at most 00:10:00 (Consul's cap), got '0'",
                "Ambassador:Discovery:Consul:OnlyPassing: must be true or false, got 'yes'",
                "Ambassador:Discovery:Consul:MaxResponseBytes: must be a whole number of bytes >= 1024, got '-1'",
                "Ambassador:Discovery:Consul:Token: must not contain control characters (it is sent as the X-Consul-Token header)",
            ],
            problems);
        Assert.DoesNotContain(problems, p => p.Contains("bad", StringComparison.Ordinal) && p.Contains("Token", StringComparison.Ordinal) && p.Contains("token'", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("ftp://127.0.0.1")]
    [InlineData("http://127.0.0.1:8500/?x=1")]
    public void Validate_AddressNotPlainHttp_Reported(string address) =>
        Assert.Single(Validate(("Address", address)));

    [Theory]
    [InlineData("abc", "must be a TimeSpan such as 00:05:00, got 'abc'")]
    [InlineData("00:11:00", "must be greater than 00:00:00 and at most 00:10:00 (Consul's cap), got '00:11:00'")]
    public void Validate_BadWaitTime_Reported(string wait, string message) =>
        Assert.Equal(["Ambassador:Discovery:Consul:WaitTime: " + message], Validate(("WaitTime", wait)));
}
