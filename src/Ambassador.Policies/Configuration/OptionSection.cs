using Microsoft.Extensions.Configuration;

namespace Ambassador.Configuration;

/// <summary>
/// A configuration section and the options declared in it: one table per feature. <see cref="Path"/> is the full path
/// (<c>Ambassador:Discovery:Consul</c>) and may hold <c>*</c> segments that match any name
/// (<c>Ambassador:Policies:*</c>: every named policy). Registered with <c>AddAmbassadorOptions</c>, a section is
/// validated (types, ranges, unknown keys), documented and described in the JSON schema without further code.
/// </summary>
internal sealed class OptionSection
{
    /// <summary>Declares a section.</summary>
    /// <param name="path">The full configuration path, <c>*</c> standing for any one name.</param>
    /// <param name="doc">One line saying what the section configures.</param>
    /// <param name="options">Its options, in the order the docs list them.</param>
    public OptionSection(string path, string doc, params OptionSpec[] options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = path;
        Segments = path.Split(':');
        Doc = doc;
        Options = options;
        var keys = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var option in options)
        {
            if (!keys.Add(option.Key))
            {
                throw new ArgumentException($"'{path}:{option.Key}' is declared twice.", nameof(options));
            }
        }
    }

    /// <summary>The full path, e.g. <c>Ambassador:Policies:*</c>.</summary>
    public string Path { get; }

    /// <summary><see cref="Path"/> split at colons.</summary>
    public IReadOnlyList<string> Segments { get; }

    /// <summary>One line saying what the section configures.</summary>
    public string Doc { get; }

    /// <summary>The options, in declaration order.</summary>
    public IReadOnlyList<OptionSpec> Options { get; }

    /// <summary>
    /// Every configured instance of this section in <paramref name="root"/>: one for a plain path, one per name for a
    /// path with <c>*</c> segments (existing or not, a plain path always yields its section).
    /// </summary>
    public IEnumerable<IConfigurationSection> Instances(IConfiguration root)
    {
        ArgumentNullException.ThrowIfNull(root);
        IEnumerable<IConfigurationSection> current = [root.GetSection(Segments[0])];
        for (var i = 1; i < Segments.Count; i++)
        {
            var segment = Segments[i];
            current = segment == "*"
                ? current.SelectMany(s => s.GetChildren())
                : current.Select(s => s.GetSection(segment));
        }

        return current;
    }
}
