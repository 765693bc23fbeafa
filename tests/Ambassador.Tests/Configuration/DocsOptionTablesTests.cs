using System.Text.RegularExpressions;
using Ambassador.Configuration;

namespace Ambassador.Tests.Configuration;

/// <summary>
/// The topic pages (docs/*.md) keep their own option tables, because they add what the generated reference cannot
/// (the Envoy or Linkerd name, when to change a value). Their defaults must still be the declared ones: every table row
/// whose first cell names a declared option and whose table has a "default" column is checked against the declaration,
/// so a changed default fails here until the page follows.
/// </summary>
public sealed partial class DocsOptionTablesTests
{
    private static readonly Lazy<IReadOnlyList<(string FullKey, OptionSpec Spec)>> Declared = new(() =>
        SchemaCommand.Collect().Sections
            .SelectMany(section => section.Options.Select(spec => (FullKey: $"{section.Path}:{spec.Key}", Spec: spec)))
            .ToList());

    [Fact]
    public void TopicPages_OptionTableDefaults_MatchTheDeclarations()
    {
        var checkedRows = 0;
        var problems = new List<string>();
        foreach (var page in Directory.EnumerateFiles(Path.Combine(RepoRoot, "docs"), "*.md").Order(StringComparer.Ordinal))
        {
            if (Path.GetFileName(page) == "configuration.md")
            {
                continue; // generated from the declarations and compared whole by ConfigurationSchemaTests
            }

            var lines = File.ReadAllLines(page);
            var defaultColumn = -1;
            for (var i = 0; i < lines.Length; i++)
            {
                var cells = Cells(lines[i]);
                if (cells is null)
                {
                    defaultColumn = -1;
                    continue;
                }

                if (i + 1 < lines.Length && SeparatorRow().IsMatch(lines[i + 1]))
                {
                    defaultColumn = cells.FindIndex(c => c.Contains("default", StringComparison.OrdinalIgnoreCase));
                    i++;
                    continue;
                }

                if (defaultColumn < 1 || defaultColumn >= cells.Count || KeyCell().Match(cells[0]) is not { Success: true } key)
                {
                    continue;
                }

                if (Resolve(key.Groups[1].Value) is not { } spec || spec.DefaultText is not { Length: > 0 } declared)
                {
                    continue;
                }

                checkedRows++;
                if (!Mentions(cells[defaultColumn], declared))
                {
                    problems.Add($"docs/{Path.GetFileName(page)}:{i + 1}: `{key.Groups[1].Value}` shows default '{cells[defaultColumn]}', declared '{declared}'");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.True(checkedRows >= 20, $"only {checkedRows} option rows were recognised in docs/*.md; the table format changed?");
    }

    [Theory]
    [InlineData("`2`", "2", true)]
    [InlineData("1024", "1024", true)]
    [InlineData("1,024", "1024", true)]
    [InlineData("`00:00:02` (2 s)", "00:00:02", true)]
    [InlineData("`true`", "True", true)]
    [InlineData("`3`", "2", false)]
    [InlineData("`00:00:20`", "00:00:02", false)]
    public void Mentions_DefaultCell_ComparesTheValueNotASubstringOfAnother(string cell, string declared, bool expected)
    {
        Assert.Equal(expected, Mentions(cell, declared));
    }

    /// <summary>A key written in full, or relative to its section (e.g. <c>Retry:MaxRetries</c> under a policy), when only one declaration ends with it.</summary>
    private static OptionSpec? Resolve(string key)
    {
        var candidates = Declared.Value
            .Where(d => d.FullKey.Equals(key, StringComparison.OrdinalIgnoreCase)
                || d.FullKey.Replace(":*:", ":<name>:", StringComparison.Ordinal).Equals(key, StringComparison.OrdinalIgnoreCase)
                || d.FullKey.EndsWith(":" + key, StringComparison.OrdinalIgnoreCase))
            .Select(d => d.Spec)
            .ToList();
        return candidates.Count == 1 || (candidates.Count > 1 && candidates.All(c => c.DefaultText == candidates[0].DefaultText)) ? candidates.FirstOrDefault() : null;
    }

    private static bool Mentions(string cell, string declared)
    {
        var text = cell.Replace("`", "", StringComparison.Ordinal);
        var value = Regex.Escape(declared);
        // The declared value as a whole token (so '2' does not match inside '20'), thousands separators allowed.
        return Regex.IsMatch(text, $@"(?<![\w.:]){value}(?![\w.:])", RegexOptions.IgnoreCase)
            || Regex.IsMatch(text.Replace(",", "", StringComparison.Ordinal), $@"(?<![\w.:]){value}(?![\w.:])", RegexOptions.IgnoreCase);
    }

    private static List<string>? Cells(string line)
    {
        var trimmed = line.Trim();
        if (!trimmed.StartsWith('|') || !trimmed.EndsWith('|'))
        {
            return null;
        }

        return trimmed[1..^1].Split('|').Select(c => c.Trim()).ToList();
    }

    [GeneratedRegex(@"^\|?\s*:?-{3,}")]
    private static partial Regex SeparatorRow();

    [GeneratedRegex(@"^`([A-Za-z<>*]+(?::[A-Za-z<>*]+)*)`$")]
    private static partial Regex KeyCell();

    private static string RepoRoot => ConfigurationSchemaTests.RepoRoot;
}
