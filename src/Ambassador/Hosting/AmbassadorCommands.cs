using Ambassador.Configuration;

namespace Ambassador.Hosting;

/// <summary>
/// The command line's first word picks the command: <c>validate [path]</c> checks a configuration without starting,
/// <c>health [--admin URL]</c> probes a running instance (the container health check); anything else runs the proxy.
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
            _ => await ServeCommand.RunAsync(args, stderr, cancellationToken).ConfigureAwait(false),
        };
    }
}
