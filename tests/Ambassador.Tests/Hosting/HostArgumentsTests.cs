using Ambassador.Hosting;

namespace Ambassador.Tests.Hosting;

public sealed class HostArgumentsTests
{
    [Fact]
    public void Parse_ConfigSwitchesInBothForms_SplitsThemFromAspNetArguments()
    {
        var parsed = HostArguments.Parse(["--config", "a.json", "--Ambassador:Listeners:Proxy=http://127.0.0.1:0", "--config=b.json", "--environment", "Development"]);

        Assert.Equal(["a.json", "b.json"], parsed.ConfigPaths);
        Assert.Equal(["--Ambassador:Listeners:Proxy=http://127.0.0.1:0", "--environment", "Development"], parsed.AspNetArgs);
    }

    [Fact]
    public void Parse_ConfigSwitchWithoutValue_IsLeftToAspNet()
    {
        var parsed = HostArguments.Parse(["--config"]);

        Assert.Empty(parsed.ConfigPaths);
        Assert.Equal(["--config"], parsed.AspNetArgs);
    }
}
