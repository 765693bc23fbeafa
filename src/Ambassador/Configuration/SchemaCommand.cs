using Ambassador.Hosting;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.SessionAffinity;

namespace Ambassador.Configuration;

/// <summary>
/// <c>Ambassador schema</c>: prints the JSON schema of the configuration; <c>Ambassador schema --write &lt;repo&gt;</c>
/// rewrites <c>schema/ambassador.schema.json</c> and the generated option tables of <c>docs/configuration.md</c> there.
/// The declarations are read from the host itself, so the schema describes exactly what validation checks.
/// </summary>
internal static class SchemaCommand
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var (sections, names) = Collect();
        if (args.Length == 0)
        {
            stdout.Write(ConfigurationSchema.Generate(sections, names));
            return 0;
        }

        if (args.Length != 2 || args[0] != "--write")
        {
            stderr.WriteLine("usage: Ambassador schema [--write <repository root>]");
            return AmbassadorHost.InvalidConfigurationExitCode;
        }

        var root = Path.GetFullPath(args[1]);
        var docsPath = Path.Combine(root, ConfigurationSchema.DocsPath);
        if (!File.Exists(docsPath))
        {
            stderr.WriteLine($"{docsPath}: file not found; give the repository root, e.g. schema --write \"$PWD\" from the repository root");
            return AmbassadorHost.InvalidConfigurationExitCode;
        }

        var docs = ConfigurationSchema.ReplaceDocs(File.ReadAllText(docsPath), ConfigurationSchema.GenerateDocs(sections));
        if (docs is null)
        {
            stderr.WriteLine($"{docsPath}: the generated block is missing; put the lines {ConfigurationSchema.DocsBegin} and {ConfigurationSchema.DocsEnd} where the tables go");
            return AmbassadorHost.InvalidConfigurationExitCode;
        }

        var schemaPath = Path.Combine(root, ConfigurationSchema.SchemaPath);
        Directory.CreateDirectory(Path.GetDirectoryName(schemaPath)!);
        File.WriteAllText(schemaPath, ConfigurationSchema.Generate(sections, names));
        File.WriteAllText(docsPath, docs);
        stdout.WriteLine($"wrote {schemaPath} and {docsPath}");
        return 0;
    }

    /// <summary>Every option section and YARP policy name the host registers.</summary>
    public static (IReadOnlyList<OptionSection> Sections, ProxyPolicyNames Names) Collect()
    {
        // An empty content root: no appsettings.json of the working directory is read (the registrations do not depend on it).
        var emptyRoot = Directory.CreateTempSubdirectory("ambassador-schema-").FullName;
        try
        {
            var app = AmbassadorHost.Build([], contentRoot: emptyRoot);
            try
            {
                var services = app.Services;
                var sections = services.GetServices<OptionSection>().ToList();
                var names = new ProxyPolicyNames(
                    Names(services.GetServices<ILoadBalancingPolicy>().Select(p => p.Name)),
                    Names(services.GetServices<ISessionAffinityPolicy>().Select(p => p.Name)),
                    Names(services.GetServices<IAffinityFailurePolicy>().Select(p => p.Name)),
                    Names(services.GetServices<IActiveHealthCheckPolicy>().Select(p => p.Name)),
                    Names(services.GetServices<IPassiveHealthCheckPolicy>().Select(p => p.Name)),
                    Names(services.GetServices<IAvailableDestinationsPolicy>().Select(p => p.Name)));
                return (sections, names);
            }
            finally
            {
                ((IDisposable)app).Dispose();
            }
        }
        finally
        {
            Directory.Delete(emptyRoot, recursive: true);
        }
    }

    private static List<string> Names(IEnumerable<string> names) => names.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
}
