using Ambassador.Configuration;
using Ambassador.Hosting;

namespace Ambassador.FunctionalTests.Hosting;

/// <summary>Files that cannot be loaded at start are reported by path and line, every one of them, and the host exits 2.</summary>
public sealed class ConfigurationSourcesTests : IDisposable
{
    private const string Malformed = "{\n  \"Ambassador\": ,\n}\n";

    private readonly string _directory = Directory.CreateTempSubdirectory("ambassador-sources-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Build_TwoMalformedConfigFiles_ReportsEachFileAndLine()
    {
        var first = Write("first.json", Malformed);
        var second = Write("second.json", "{ \"Ambassador\": { \"Listeners\": { } }");

        var ex = Assert.Throws<ConfigurationLoadException>(() => AmbassadorHost.Build(["--config", first, "--config=" + second], contentRoot: _directory));

        Assert.Equal(
            [
                $"{first}: invalid JSON at line 2, position 17; fix the syntax there (comments and trailing commas are allowed)",
                $"{second}: invalid JSON at line 1, position 37; fix the syntax there (comments and trailing commas are allowed)",
            ],
            ex.Problems.Lines);
    }

    [Fact]
    public async Task Run_MissingConfigFile_Exits2NamingTheFullPath()
    {
        var missing = Path.Combine(_directory, "missing.json");
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exitCode = await AmbassadorHost.RunAsync(["--config", missing], stdout, stderr);

        Assert.Equal(2, exitCode);
        Assert.Equal($"{missing}: file not found; check the path given with --config", stderr.ToString().Trim());
    }

    [Fact]
    public void Build_MalformedAppsettingsInContentRoot_NamesFileAndLine()
    {
        var appsettings = Write("appsettings.json", Malformed);

        var ex = Assert.Throws<ConfigurationLoadException>(() => AmbassadorHost.Build([], contentRoot: _directory));

        Assert.Equal(
            [$"{appsettings}: invalid JSON at line 2, position 17; fix the syntax there (comments and trailing commas are allowed)"],
            ex.Problems.Lines);
    }

    private string Write(string name, string json)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, json);
        return path;
    }
}
