using Ambassador.Configuration;
using Microsoft.Extensions.Configuration;

namespace Ambassador.Tests.Configuration;

public sealed class OptionValidatorTests
{
    private static readonly IntegerOption<int> Count = OptionSpec.Int("Count", 3, min: 1, max: 9, doc: "How many.");
    private static readonly DurationOption Wait = OptionSpec.Duration("Inner:Wait", TimeSpan.FromSeconds(2), min: TimeSpan.Zero, max: null, doc: "How long.", minExclusive: true);
    private static readonly StringListOption Tags = OptionSpec.List("Tags", "Labels.");
    private static readonly StringMapOption Meta = OptionSpec.Map("Meta", "Free-form.");
    private static readonly OptionSection Things = new("Ambassador:Things:*", "Named things.", Count, Wait, Tags, Meta);
    private static readonly OptionSection Plain = new("Ambassador:Plain", "One plain section.", OptionSpec.Bool("On", false, "Switch."));

    [Fact]
    public void Validate_ValidValues_NoProblems() => Assert.Empty(Validate(new()
    {
        ["Ambassador:Things:a:Count"] = "9",
        ["Ambassador:Things:a:Inner:Wait"] = "00:00:01",
        ["Ambassador:Things:b:Tags:0"] = "x",
        ["Ambassador:Things:b:Tags:1"] = "y",
        ["Ambassador:Things:b:Meta:team"] = "inventory",
        ["Ambassador:Plain:On"] = "TRUE",
    }));

    [Fact]
    public void Validate_EveryKindOfMistake_ReportsEachInTheOneStyle() => Assert.Equal(
        [
            "Ambassador:Things:a:Count: 'many' is not an integer; use an integer from 1 to 9",
            "Ambassador:Things:a:Inner:Wait: '00:00:00' is out of range; use a TimeSpan greater than 00:00:00, e.g. 00:00:02",
            "Ambassador:Things:b:Count: is a section, not a single value; use an integer from 1 to 9",
            "Ambassador:Things:b:Meta: is a single value, not a map; use a JSON object of string values, e.g. { \"team\": \"inventory\" }",
            "Ambassador:Plain:On: 'yes' is not a boolean; use true or false",
            "Ambassador:Plian: unknown key; did you mean 'Plain'?",
            "Ambassador:Things:a:Inner:Wiat: unknown key; did you mean 'Wait'?",
            "Ambassador:Things:a:Nothing: unknown key; allowed here: Count, Inner, Tags, Meta",
        ],
        Validate(new()
        {
            ["Ambassador:Things:a:Count"] = "many",
            ["Ambassador:Things:a:Inner:Wait"] = "00:00:00",
            ["Ambassador:Things:a:Inner:Wiat"] = "00:00:01",
            ["Ambassador:Things:a:Nothing"] = "1",
            ["Ambassador:Things:b:Count:x"] = "1",
            ["Ambassador:Things:b:Meta"] = "flat",
            ["Ambassador:Plain:On"] = "yes",
            ["Ambassador:Plian:On"] = "true",
        }));

    [Fact]
    public void Validate_SectionGivenAsValue_NamesWhatBelongsUnderIt() => Assert.Equal(
        ["Ambassador:Plain: is a single value, not a section; put On under it"],
        Validate(new() { ["Ambassador:Plain"] = "on" }));

    [Theory]
    [InlineData("MaxRetries", "MaxRetrys", 2)]
    [InlineData("MaxRetries", "maxretries", 0)]
    [InlineData("Proxy", "Admin", 5)]
    public void Distance_CountsEditsIgnoringCase(string a, string b, int expected) => Assert.Equal(expected, OptionValidator.Distance(a, b));

    [Fact]
    public void Section_DuplicateKey_Throws() =>
        Assert.Throws<ArgumentException>(() => new OptionSection("Ambassador:X", "x", OptionSpec.Bool("A", false, "a"), OptionSpec.Bool("a", true, "b")));

    [Fact]
    public void TryGet_AbsentValidInvalid_DefaultValueFalse()
    {
        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Count"] = "4", ["Inner:Wait"] = "soon" }).Build();

        Assert.True(Count.TryGet(section, out var count));
        Assert.Equal(4, count);
        Assert.False(Wait.TryGet(section, out _));
        Assert.True(Count.TryGet(new ConfigurationBuilder().Build(), out var fallback));
        Assert.Equal(3, fallback);
    }

    [Theory]
    [InlineData(25, "00:00:00.025")]
    [InlineData(500, "00:00:00.500")]
    [InlineData(10_000, "00:00:10")]
    [InlineData(86_400_000, "1.00:00:00")]
    public void FormatDuration_AsWrittenInConfiguration(int milliseconds, string expected) =>
        Assert.Equal(expected, OptionSpec.FormatDuration(TimeSpan.FromMilliseconds(milliseconds)));

    private static List<string> Validate(Dictionary<string, string?> settings)
    {
        var problems = new ConfigProblems();
        new OptionValidator([Things, Plain]).Validate(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), problems);
        return [.. problems.Lines];
    }
}
