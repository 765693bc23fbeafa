using Ambassador.Configuration;
using Microsoft.Extensions.Configuration;

namespace Ambassador.Tests.Configuration;

public sealed class ConfigValuesTests
{
    private static IConfiguration Section(string key, string value) =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();

    [Fact]
    public void ReadDuration_TimeSpanString_Parses()
    {
        var problems = new ConfigProblems();

        var value = ConfigValues.ReadDuration(Section("T", "00:00:00.500"), "T", "A:T", problems);

        Assert.Equal(TimeSpan.FromMilliseconds(500), value);
        Assert.True(problems.IsValid);
    }

    [Theory]
    [InlineData("5s", "A:T: '5s' is not a duration; use a TimeSpan such as \"00:00:00.500\" or \"00:05:00\"")]
    [InlineData("00:00:00", "A:T: must be a positive duration (was 00:00:00)")]
    [InlineData("-00:00:01", "A:T: must be a positive duration (was -00:00:01)")]
    public void ReadDuration_Invalid_ReportsKey(string raw, string expected)
    {
        var problems = new ConfigProblems();

        Assert.Null(ConfigValues.ReadDuration(Section("T", raw), "T", "A:T", problems));
        Assert.Equal(expected, Assert.Single(problems.Lines));
    }

    [Fact]
    public void ReadDuration_ZeroAllowed_Accepts()
    {
        var problems = new ConfigProblems();

        Assert.Equal(TimeSpan.Zero, ConfigValues.ReadDuration(Section("T", "00:00:00"), "T", "A:T", problems, allowZero: true));
        Assert.True(problems.IsValid);
    }

    [Theory]
    [InlineData("1.5", "A:R: must be between 0 and 1 (was 1.5)")]
    [InlineData("lots", "A:R: 'lots' is not a number")]
    public void ReadNumber_Invalid_ReportsKey(string raw, string expected)
    {
        var problems = new ConfigProblems();

        Assert.Null(ConfigValues.ReadNumber(Section("R", raw), "R", "A:R", problems, 0, 1));
        Assert.Equal(expected, Assert.Single(problems.Lines));
    }

    [Fact]
    public void ReadBoolean_Invalid_ReportsKey()
    {
        var problems = new ConfigProblems();

        Assert.Null(ConfigValues.ReadBoolean(Section("B", "yes"), "B", "A:B", problems));
        Assert.Equal("A:B: 'yes' is not a boolean; use true or false", Assert.Single(problems.Lines));
    }
}
