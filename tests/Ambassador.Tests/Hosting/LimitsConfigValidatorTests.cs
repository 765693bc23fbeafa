using Ambassador.Configuration;
using Ambassador.Hosting;
using Microsoft.Extensions.Configuration;

namespace Ambassador.Tests.Hosting;

public sealed class LimitsConfigValidatorTests
{
    [Theory]
    [InlineData("0", "'0' is out of range; use an integer from 1 to 100000")]
    [InlineData("-1", "'-1' is out of range; use an integer from 1 to 100000")]
    [InlineData("many", "'many' is not an integer; use an integer from 1 to 100000")]
    [InlineData("100001", "'100001' is out of range; use an integer from 1 to 100000")]
    public void Check_MaxConnectionsOutOfRange_SaysWhatIsAllowed(string value, string message)
    {
        var problem = LimitsOptionTable.MaxConnections.Check(value);

        Assert.Equal(message, $"{problem}; {LimitsOptionTable.MaxConnections.Allowed}");
    }

    [Fact]
    public void ReadMaxConnections_InRange_IsTheValue()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Ambassador:Limits:MaxConnections"] = "2000" }).Build();

        Assert.Null(LimitsOptionTable.MaxConnections.Check("2000"));
        Assert.Equal(2000, ConnectionLimits.ReadMaxConnections(config.GetSection(LimitsOptions.SectionName)));
    }
}
