using Ambassador.Configuration;

namespace Ambassador.Hosting;

/// <summary>
/// The command line's first word picks the command: <c>validate [path]</c> checks a configuration without starting,
/// <c>health [--admin URL]</c> probes a running instance (the container health check), <c>schema [--write dir]</c>
/// prints or writes the configuration's JSON schema; anything else runs the proxy.
/// </summary>
internal static class AmbassadorCommands
{
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        return (args.Length > 0 ? args[0] : string.Empty) switch
        {
            "validate" => ValidateCommand.Run(args[1..], stdout, stderr),
            "health" => await HealthCommand.RunAsync(args[1..], stdout, stderr).ConfigureAwait(false),
            "schema" => SchemaCommand.Run(args[1..], stdout, stderr), // the JSON schema and docs tables, from the option tables
            _ => await ServeCommand.RunAsync(args, stderr, cancellationToken).ConfigureAwait(false),
        };
    }
}
