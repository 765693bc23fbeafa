using Ambassador.Configuration;
using Ambassador.Discovery.Consul;
using Microsoft.Extensions.Configuration;

namespace Ambassador.Tests.Discovery.Consul;

public class ConsulOptionTableTests
{
    private static List<string> Validate(params (string Key, string Value)[] values)
    {
        var config = new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>("Ambassador:Discovery:Consul:" + v.Key, v.Value)))
            .Build();
        var problems = new ConfigProblems();
        new OptionValidator([ConsulOptionTable.Section]).Validate(config, problems);
        return [.. problems.Lines];
    }

    [Fact]
    public void Validate_GoodOptions_NoProblems() =>
        Assert.Empty(Validate(("Address", "http://127.0.0.1:8500"), ("WaitTime", "00:05:00"), ("OnlyPassing", "false"), ("Token", "abc")));

    [Fact]
    public void Validate_NothingConfigured_NoProblems() => Assert.Empty(Validate());

    [Fact]
    public void Validate_EmptyAddress_MeansOff() => Assert.Empty(Validate(("Address", "")));

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
                "Ambassador:Discovery:Consul:Address: '127.0.0.1:8500' is not an absolute http or https URL; use an absolute http or https URL such as http://127.0.0.1:8500",
                "Ambassador:Discovery:Consul:Token: contains control characters; use the token as issued (it is sent as the X-Consul-Token header)",
                "Ambassador:Discovery:Consul:WaitTime: '0' is out of range; use a TimeSpan greater than 00:00:00 and at most 00:10:00, e.g. 00:05:00",
                "Ambassador:Discovery:Consul:OnlyPassing: 'yes' is not a boolean; use true or false",
                "Ambassador:Discovery:Consul:MaxResponseBytes: '-1' is out of range; use an integer of at least 1024",
            ],
            problems);
        Assert.DoesNotContain(problems, p => p.Contains("token'", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("ftp://127.0.0.1")]
    [InlineData("http://127.0.0.1:8500/?x=1")]
    public void Validate_AddressNotPlainHttp_Reported(string address) =>
        Assert.Single(Validate(("Address", address)));

    [Theory]
    [InlineData("abc", "'abc' is not a duration; use a TimeSpan greater than 00:00:00 and at most 00:10:00, e.g. 00:05:00")]
    [InlineData("00:11:00", "'00:11:00' is out of range; use a TimeSpan greater than 00:00:00 and at most 00:10:00, e.g. 00:05:00")]
    public void Validate_BadWaitTime_Reported(string wait, string message) =>
        Assert.Equal(["Ambassador:Discovery:Consul:WaitTime: " + message], Validate(("WaitTime", wait)));

    [Fact]
    public void Validate_NearMissKey_SuggestsTheDeclaredOne() =>
        Assert.Equal(["Ambassador:Discovery:Consul:WaitTme: unknown key; did you mean 'WaitTime'?"], Validate(("WaitTme", "00:01:00")));
}
