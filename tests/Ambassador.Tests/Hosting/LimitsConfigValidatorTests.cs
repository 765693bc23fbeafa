using Ambassador.Configuration;
using Ambassador.Hosting;
using Microsoft.Extensions.Configuration;

namespace Ambassador.Tests.Hosting;

public sealed class LimitsConfigValidatorTests
{
    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("many")]
    [InlineData("100001")]
    public void Validate_MaxConnectionsOutOfRange_NamesTheKey(string value)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Ambassador:Limits:MaxConnections"] = value }).Build();
        var problems = new ConfigProblems();

        new LimitsConfigValidator().Validate(config, problems);

        Assert.Equal($"Ambassador:Limits:MaxConnections: '{value}' is not a whole number from 1 to 100000; e.g. 256", Assert.Single(problems.Lines));
    }

    [Fact]
    public void Validate_MaxConnectionsInRange_IsValid()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Ambassador:Limits:MaxConnections"] = "2000" }).Build();
        var problems = new ConfigProblems();

        new LimitsConfigValidator().Validate(config, problems);

        Assert.True(problems.IsValid);
    }
}
