using Microsoft.Extensions.Configuration;

namespace Ambassador.Configuration;

/// <summary>
/// Validates configuration against declared <see cref="OptionSection"/>s: every value's type and range (in declaration
/// order) and every key under the root that nothing declares (with a "did you mean" for near misses). Reports every
/// problem at once. Checks that involve several keys stay with their feature.
/// </summary>
internal sealed class OptionValidator
{
    /// <summary>The only root whose keys are all declared here; <c>ReverseProxy</c> keeps YARP's schema.</summary>
    public const string Root = "Ambassador";

    private readonly IReadOnlyList<OptionSection> _sections;
    private readonly Node _tree = new();

    /// <summary>Creates a validator for <paramref name="sections"/> (all under <see cref="Root"/>).</summary>
    public OptionValidator(IEnumerable<OptionSection> sections)
    {
        _sections = sections.DistinctBy(s => s.Path, StringComparer.OrdinalIgnoreCase).ToList();
        foreach (var section in _sections)
        {
            foreach (var option in section.Options)
            {
                var node = _tree;
                foreach (var segment in section.Segments.Concat(option.Key.Split(':')))
                {
                    node = node.Child(segment);
                }

                node.Option = option;
            }
        }
    }

    /// <summary>The declared sections.</summary>
    public IReadOnlyList<OptionSection> Sections => _sections;

    /// <summary>Adds every value and unknown-key problem of <paramref name="configuration"/> to <paramref name="problems"/>.</summary>
    public void Validate(IConfiguration configuration, ConfigProblems problems)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(problems);
        foreach (var section in _sections)
        {
            foreach (var instance in section.Instances(configuration))
            {
                foreach (var option in section.Options)
                {
                    CheckValue(instance.GetSection(option.Key), option, problems);
                }
            }
        }

        var root = configuration.GetSection(Root);
        if (_tree.Children.TryGetValue(Root, out var rootNode))
        {
            ReportUnknown(root, rootNode, problems);
        }
        else
        {
            foreach (var child in root.GetChildren())
            {
                problems.Add(child.Path, "unknown key", "nothing is configured under Ambassador here");
            }
        }
    }

    /// <summary>Levenshtein distance, case-insensitive: how many edits turn <paramref name="a"/> into <paramref name="b"/>.</summary>
    internal static int Distance(string a, string b)
    {
        a = a.ToUpperInvariant();
        b = b.ToUpperInvariant();
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    private static void CheckValue(IConfigurationSection value, OptionSpec option, ConfigProblems problems)
    {
        var hasChildren = value.GetChildren().Any();
        switch (option.Kind)
        {
            case OptionKind.StringMap:
                if (value.Value is { Length: > 0 } && !hasChildren)
                {
                    problems.Add(value.Path, "is a single value, not a map", option.Allowed);
                }

                foreach (var entry in value.GetChildren().Where(e => e.GetChildren().Any()))
                {
                    problems.Add(entry.Path, "is a section, not a string", option.Allowed);
                }

                return;
            case OptionKind.StringList:
                foreach (var item in value.GetChildren())
                {
                    if (!int.TryParse(item.Key, out _) || item.GetChildren().Any())
                    {
                        problems.Add(item.Path, "is not a list item", option.Allowed);
                    }
                }

                return;
        }

        if (hasChildren)
        {
            problems.Add(value.Path, "is a section, not a single value", option.Allowed);
            return;
        }

        if (value.Value is not { } raw)
        {
            return;
        }

        if (option.Check(raw) is { } wrong)
        {
            // A secret's check never quotes the value, so the message is safe to print as is.
            problems.Add(value.Path, wrong, option.Allowed);
        }
    }

    private static void ReportUnknown(IConfigurationSection section, Node node, ConfigProblems problems)
    {
        foreach (var child in section.GetChildren())
        {
            var next = node.Find(child.Key);
            if (next is null)
            {
                problems.Add(child.Path, "unknown key", Suggest(child.Key, node));
            }
            else if (next.Option is null)
            {
                if (child.Value is { Length: > 0 } && !child.GetChildren().Any())
                {
                    problems.Add(child.Path, "is a single value, not a section", $"put {Names(next)} under it");
                }

                ReportUnknown(child, next, problems);
            }
        }
    }

    private static string Suggest(string key, Node node) => Suggest(key, node.Children.Keys.Where(k => k != "*").ToList());

    /// <summary>The second half of an unknown-key problem: the nearest of <paramref name="names"/> (at most 2 edits away), or all of them.</summary>
    internal static string Suggest(string key, IReadOnlyList<string> names)
    {
        var best = names
            .Select(n => (Name: n, Distance: Distance(key, n)))
            .Where(c => c.Distance <= 2)
            .OrderBy(c => c.Distance)
            .FirstOrDefault();
        if (best.Name is not null)
        {
            return $"did you mean '{best.Name}'?";
        }

        return names.Count == 0 ? "no keys are allowed here" : $"allowed here: {string.Join(", ", names)}";
    }

    private static string Names(Node node)
    {
        var names = node.Children.Keys.ToList();
        return names.Count == 1 && names[0] == "*" ? "named sections" : string.Join(", ", names.Where(n => n != "*"));
    }

    private sealed class Node
    {
        public Dictionary<string, Node> Children { get; } = new(StringComparer.OrdinalIgnoreCase);

        public OptionSpec? Option { get; set; }

        public Node Child(string segment)
        {
            if (!Children.TryGetValue(segment, out var node))
            {
                node = new Node();
                Children[segment] = node;
            }

            return node;
        }

        public Node? Find(string segment) =>
            Children.TryGetValue(segment, out var node) ? node : Children.GetValueOrDefault("*");
    }
}
