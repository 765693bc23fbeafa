namespace Ambassador.Hosting;

/// <summary>
/// The command line split in two: ASP.NET's own arguments (<c>--Key=value</c>, <c>--environment</c>…) go to the
/// builder untouched; every <c>--config &lt;path&gt;</c> (or <c>--config=&lt;path&gt;</c>) names one more JSON file,
/// added on top in the order given.
/// </summary>
internal sealed record HostArguments(string[] AspNetArgs, IReadOnlyList<string> ConfigPaths)
{
    private const string ConfigSwitch = "--config";

    public static HostArguments Parse(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var rest = new List<string>();
        var configs = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == ConfigSwitch && i + 1 < args.Length)
            {
                configs.Add(args[++i]);
            }
            else if (args[i].StartsWith(ConfigSwitch + "=", StringComparison.Ordinal))
            {
                configs.Add(args[i][(ConfigSwitch.Length + 1)..]);
            }
            else
            {
                rest.Add(args[i]);
            }
        }

        return new HostArguments([.. rest], configs);
    }
}
