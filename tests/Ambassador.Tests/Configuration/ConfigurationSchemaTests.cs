using System.Text.Json;
using Ambassador.Configuration;
using Json.Schema;

namespace Ambassador.Tests.Configuration;

/// <summary>
/// The committed schema and docs tables are what the declarations generate, every shipped JSON config names the schema
/// and passes it (checked by a real JSON Schema validator), and the schema catches the mistakes it promises to.
/// </summary>
public sealed class ConfigurationSchemaTests
{
    private const string Regenerate = "dotnet run --project src/Ambassador -- schema --write \"$PWD\"";

    private static readonly JsonDocumentOptions ConfigJson = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    private static readonly Lazy<(IReadOnlyList<OptionSection> Sections, ProxyPolicyNames Names)> Declarations = new(SchemaCommand.Collect);

    private static readonly Lazy<JsonSchema> Schema = new(() => JsonSchema.FromText(Generated()));

    [Fact]
    public void Generate_CommittedSchema_IsCurrent()
    {
        var committed = File.ReadAllText(Path.Combine(RepoRoot, ConfigurationSchema.SchemaPath)).ReplaceLineEndings("\n");
        AssertSame(Generated(), committed, ConfigurationSchema.SchemaPath);
    }

    [Fact]
    public void GenerateDocs_CommittedTables_MatchTheDeclarations()
    {
        var docs = File.ReadAllText(Path.Combine(RepoRoot, ConfigurationSchema.DocsPath)).ReplaceLineEndings("\n");
        var start = docs.IndexOf(ConfigurationSchema.DocsBegin, StringComparison.Ordinal);
        var end = docs.IndexOf(ConfigurationSchema.DocsEnd, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, $"{ConfigurationSchema.DocsPath}: the generated block's marker lines are missing; restore them and run `{Regenerate}`");
        var committed = docs[start..(end + ConfigurationSchema.DocsEnd.Length)] + "\n";
        AssertSame(ConfigurationSchema.GenerateDocs(Declarations.Value.Sections), committed, ConfigurationSchema.DocsPath);
    }

    [Fact]
    public void GenerateDocs_PolicyOption_ShowsKeyTypeDefaultRangeAndDoc()
    {
        var docs = ConfigurationSchema.GenerateDocs(Declarations.Value.Sections);
        Assert.Contains("### `Ambassador:Policies:<name>`", docs, StringComparison.Ordinal);
        Assert.Contains(
            "| `Retry:MaxRetries` | integer | `2` | an integer from 0 to 10 | Retries after the first attempt, each to another destination when one exists; 0 turns retries off. |",
            docs.Split('\n'));
    }

    [Fact]
    public void ShippedConfigs_Every_NamesTheSchemaByRelativePath()
    {
        var configs = ShippedConfigs();
        Assert.Contains("src/Ambassador/appsettings.json", configs);
        Assert.Contains("samples/ambassador.local.json", configs);
        Assert.Contains("deploy/compose/ambassador.json", configs);
        Assert.Contains("bench/conf/ambassador-full.json", configs);
        foreach (var config in configs)
        {
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoRoot, config)), ConfigJson);
            var expected = Path.GetRelativePath(Path.GetDirectoryName(Path.Combine(RepoRoot, config))!, Path.Combine(RepoRoot, ConfigurationSchema.SchemaPath)).Replace('\\', '/');
            var actual = json.RootElement.TryGetProperty("$schema", out var schema) ? schema.GetString() : null;
            Assert.True(expected == actual, $"{config}: \"$schema\" is '{actual}'; put \"$schema\": \"{expected}\" first in the file");
        }
    }

    [Fact]
    public void ShippedConfigs_Every_ValidatesAgainstTheSchema()
    {
        var problems = new List<string>();
        foreach (var config in ShippedConfigs())
        {
            problems.AddRange(Evaluate(File.ReadAllText(Path.Combine(RepoRoot, config))).Select(p => $"{config}: {p}"));
        }

        // Kubernetes ConfigMaps carry the sidecars' configs as embedded JSON documents.
        var embedded = 0;
        foreach (var manifest in Directory.EnumerateFiles(Path.Combine(RepoRoot, "deploy"), "*.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            foreach (var (line, json) in EmbeddedJson(manifest))
            {
                embedded++;
                var where = $"{Path.GetRelativePath(RepoRoot, manifest).Replace('\\', '/')}:{line}";
                problems.AddRange(Evaluate(json).Select(p => $"{where}: {p}"));
            }
        }

        Assert.Empty(problems);
        Assert.True(embedded > 0, "no JSON document found in the deploy/ ConfigMaps: the check of embedded configs ran on nothing");
    }

    [Fact]
    public void Schema_MisspeltPolicyKey_IsRejected() => Assert.Equal(
        ["/Ambassador/Policies/default/Retry/MaxRetrys: All values fail against the false schema"],
        Evaluate("""{ "Ambassador": { "Policies": { "default": { "Retry": { "MaxRetrys": 3 } } } } }"""));

    [Fact]
    public void Schema_MaxRetriesAboveRange_IsRejected() => Assert.Equal(
        ["/Ambassador/Policies/fast/Retry/MaxRetries: 11 should be at most 10"],
        Evaluate("""{ "Ambassador": { "Policies": { "fast": { "Retry": { "MaxRetries": 11 } } } } }"""));

    [Fact]
    public void Schema_UnknownLoadBalancingPolicy_IsRejected() => Assert.Equal(
        ["/ReverseProxy/Clusters/inventory/LoadBalancingPolicy: Value should match one of the values specified by the enum"],
        Evaluate("""{ "ReverseProxy": { "Clusters": { "inventory": { "LoadBalancingPolicy": "PeakEWMA" } } } }"""));

    [Fact]
    public void Schema_OurMetadataKeysAndLooseSections_AreAccepted() => Assert.Empty(Evaluate("""
        {
          "$schema": "../schema/ambassador.schema.json",
          "Logging": { "LogLevel": { "Default": "Warning" } },
          "AllowedHosts": "*",
          "Kestrel": { "Limits": { "MaxRequestBodySize": 1024 } },
          "Ambassador": { "Policies": { "slow": { "Timeout": { "PerTry": "00:00:02", "Total": "00:00:05" }, "Retry": { "MaxRetries": "3", "RetryNonIdempotent": "true" } } } },
          "ReverseProxy": {
            "Routes": { "r": { "ClusterId": "c", "Order": 1, "Match": { "Path": "/x/{**rest}", "Methods": ["GET"], "Headers": [ { "Name": "x-v", "Mode": "ExactHeader", "Values": ["2"] } ] }, "Transforms": [ { "PathRemovePrefix": "/x" }, { "RequestHeadersCopy": true } ] } },
            "Clusters": { "c": {
              "LoadBalancingPolicy": "PeakEwma",
              "Metadata": { "Policy": "none", "CaPath": "ca.crt", "Team": "payments" },
              "HttpRequest": { "Version": "2", "VersionPolicy": "RequestVersionExact" },
              "Destinations": { "d": { "Address": "https://payments", "Metadata": { "Discovery": "static" } } } } }
          }
        }
        """));

    [Fact]
    public void ReplaceDocs_MarkersMissing_ReturnsNull() =>
        Assert.Null(ConfigurationSchema.ReplaceDocs("# Configuration\n", ConfigurationSchema.GenerateDocs(Declarations.Value.Sections)));

    [Fact]
    public void Run_Write_RewritesSchemaAndDocsBlockOnly()
    {
        var root = Directory.CreateTempSubdirectory("ambassador-schema-test-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "docs"));
            File.WriteAllText(Path.Combine(root, ConfigurationSchema.DocsPath), $"# Title\n\nkept\n\n{ConfigurationSchema.DocsBegin}\nstale\n{ConfigurationSchema.DocsEnd}\n\nafter\n");
            var stdout = new StringWriter();
            var stderr = new StringWriter();

            var code = SchemaCommand.Run(["--write", root], stdout, stderr);

            Assert.Equal(0, code);
            Assert.Equal(string.Empty, stderr.ToString());
            Assert.Equal(Generated(), File.ReadAllText(Path.Combine(root, ConfigurationSchema.SchemaPath)));
            Assert.Equal(
                $"# Title\n\nkept\n\n{ConfigurationSchema.GenerateDocs(Declarations.Value.Sections)}\nafter\n",
                File.ReadAllText(Path.Combine(root, ConfigurationSchema.DocsPath)));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Run_NoArguments_PrintsTheSchema()
    {
        var stdout = new StringWriter();

        var code = SchemaCommand.Run([], stdout, new StringWriter());

        Assert.Equal(0, code);
        Assert.Equal(Generated(), stdout.ToString());
    }

    [Theory]
    [InlineData("src/Ambassador/appsettings.json")]
    [InlineData("samples/ambassador.local.json")]
    public void ValidateCommand_ShippedConfigWithSchemaKey_IsValid(string config)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var code = ValidateCommand.Run([Path.Combine(RepoRoot, config)], stdout, stderr);

        Assert.Equal(string.Empty, stderr.ToString());
        Assert.Equal(0, code);
        Assert.Equal("configuration is valid" + Environment.NewLine, stdout.ToString());
    }

    private static string Generated() => ConfigurationSchema.Generate(Declarations.Value.Sections, Declarations.Value.Names);

    /// <summary>Each schema error as <c>instance location: message</c>, in document order.</summary>
    private static List<string> Evaluate(string json)
    {
        using var document = JsonDocument.Parse(json, ConfigJson);
        var result = Schema.Value.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        return (result.Details ?? [])
            .Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Values.Select(message => $"{d.InstanceLocation}: {message}"))
            .Distinct()
            .ToList();
    }

    /// <summary>Fails with the first differing line and the command that fixes it.</summary>
    private static void AssertSame(string expected, string committed, string file)
    {
        if (expected == committed)
        {
            return;
        }

        var want = expected.Split('\n');
        var have = committed.Split('\n');
        var line = 0;
        while (line < want.Length && line < have.Length && want[line] == have[line])
        {
            line++;
        }

        Assert.Fail($"{file} is out of date with the option declarations (first difference at line {line + 1}: expected '{(line < want.Length ? want[line] : "<end>")}', found '{(line < have.Length ? have[line] : "<end>")}'); run `{Regenerate}` from the repository root and commit the result");
    }

    /// <summary>The JSON configs the repository ships, relative to its root with '/' separators.</summary>
    private static List<string> ShippedConfigs()
    {
        // What git ignores (build output, bench results) is not shipped.
        string[] ignored = ["bin", "obj", "results", "node_modules", "TestResults"];
        return ((string[])["src", "samples", "deploy", "bench"])
            .SelectMany(dir => Directory.EnumerateFiles(Path.Combine(RepoRoot, dir), "*.json", SearchOption.AllDirectories))
            .Select(path => Path.GetRelativePath(RepoRoot, path).Replace('\\', '/'))
            .Where(path => !path.Split('/').Any(segment => ignored.Contains(segment)))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// Every block scalar <c>name.json: |</c> of a YAML file with its 1-based line, unindented: enough YAML for a
    /// ConfigMap's data.
    /// </summary>
    private static List<(int Line, string Json)> EmbeddedJson(string yamlPath)
    {
        var lines = File.ReadAllLines(yamlPath);
        var found = new List<(int, string)>();
        for (var i = 0; i < lines.Length; i++)
        {
            var header = lines[i].TrimEnd();
            if (!header.EndsWith(".json: |", StringComparison.Ordinal))
            {
                continue;
            }

            var keyIndent = header.Length - header.TrimStart().Length;
            var body = lines.Skip(i + 1)
                .TakeWhile(l => l.Trim().Length == 0 || l.Length - l.TrimStart().Length > keyIndent)
                .ToList();
            var indent = body.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
            found.Add((i + 1, string.Join('\n', body.Select(l => l.Length >= indent ? l[indent..] : l))));
        }

        return found;
    }

    internal static string RepoRoot { get; } = FindRepoRoot();

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Ambassador.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Ambassador.slnx above {AppContext.BaseDirectory}");
    }
}
