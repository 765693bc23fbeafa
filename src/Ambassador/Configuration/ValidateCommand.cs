using Ambassador.Hosting;

namespace Ambassador.Configuration;

/// <summary><c>Ambassador validate [path]</c>: checks a configuration without starting; exit 0 valid, 2 invalid.</summary>
internal static class ValidateCommand
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        string? emptyRoot = null;
        string[] hostArgs = args;
        if (args.Length > 0 && !args[0].StartsWith('-'))
        {
            var path = Path.GetFullPath(args[0]);
            if (!File.Exists(path))
            {
                stderr.WriteLine($"{path}: file not found; check the path given to validate");
                return AmbassadorHost.InvalidConfigurationExitCode;
            }

            // The file is checked on its own: a content root with no appsettings.json keeps other files out.
            emptyRoot = Directory.CreateTempSubdirectory("ambassador-validate-").FullName;
            hostArgs = ["--config", path, .. args[1..]];
        }

        try
        {
            var app = AmbassadorHost.Build(hostArgs, contentRoot: emptyRoot);
            try
            {
                var problems = AmbassadorHost.ApplyInitialConfiguration(app);
                foreach (var line in problems.Lines)
                {
                    stderr.WriteLine(line);
                }

                if (problems.IsValid)
                {
                    stdout.WriteLine("configuration is valid");
                    return 0;
                }

                return AmbassadorHost.InvalidConfigurationExitCode;
            }
            finally
            {
                ((IDisposable)app).Dispose();
            }
        }
        catch (ConfigurationLoadException ex)
        {
            foreach (var line in ex.Problems.Lines)
            {
                stderr.WriteLine(line);
            }

            return AmbassadorHost.InvalidConfigurationExitCode;
        }
        finally
        {
            if (emptyRoot is not null)
            {
                Directory.Delete(emptyRoot, recursive: true);
            }
        }
    }
}
