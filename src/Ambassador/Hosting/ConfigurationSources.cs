using System.Text.Json;
using Ambassador.Configuration;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.FileProviders.Physical;

namespace Ambassador.Hosting;

/// <summary>
/// Where the configuration comes from, lowest first: embedded defaults, the content root's <c>appsettings*.json</c>,
/// environment variables and <c>--Key=value</c> (ASP.NET's own order), then each <c>--config</c> file. A file that
/// cannot be loaded at start is reported with its path and line, taken from the loader's data, never from its text.
/// </summary>
internal static class ConfigurationSources
{
    private static readonly Dictionary<string, string?> EmbeddedDefaults = new()
    {
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information",
        // Any level on this category makes ASP.NET Core create an Activity per request (for log scopes), traced or not.
        ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "None",
        ["Logging:LogLevel:Yarp"] = "Warning",
        ["Logging:LogLevel:Yarp.ReverseProxy.Forwarder.HttpForwarder"] = "Error", // a warning with stack trace per failed attempt; UpstreamFailureLog says it once
        ["Logging:Console:FormatterName"] = "simple",
        ["Logging:Console:FormatterOptions:SingleLine"] = "true",
        ["Logging:Console:FormatterOptions:TimestampFormat"] = "yyyy-MM-ddTHH:mm:ss.fffZ ",
        ["Logging:Console:FormatterOptions:UseUtcTimestamp"] = "true",
    };

    /// <summary>Creates the builder with every source in place; throws <see cref="ConfigurationLoadException"/> when a file cannot be loaded.</summary>
    public static WebApplicationBuilder CreateBuilder(HostArguments args, string? contentRoot)
    {
        var problems = new ConfigProblems();
        WebApplicationBuilder builder;
        try
        {
            builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
            {
                Args = args.AspNetArgs,
                ContentRootPath = contentRoot,
            });
        }
        catch (InvalidDataException)
        {
            // The builder loads the content root's appsettings files before a load handler can be attached, so the
            // failing file is found by parsing the candidates again (the parser's position is data, not text).
            ReportContentRootFiles(contentRoot ?? Directory.GetCurrentDirectory(), problems);
            throw new ConfigurationLoadException(problems);
        }

        // Embedded defaults, below every other source: per-request framework logs stay off the hot path.
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = EmbeddedDefaults });
        foreach (var path in args.ConfigPaths)
        {
            var fullPath = Path.GetFullPath(path);
            builder.Configuration.AddJsonFile(source =>
            {
                source.Path = fullPath;
                source.Optional = false;
                source.ReloadOnChange = true;
                source.ResolveFileProvider();
                // Collects instead of throwing, so that two broken files are both reported.
                source.OnLoadException = context =>
                {
                    Report(fullPath, context.Exception, problems);
                    context.Ignore = true;
                };
            });
        }

        if (!problems.IsValid)
        {
            throw new ConfigurationLoadException(problems);
        }

        return builder;
    }

    /// <summary>
    /// A file that stops parsing on reload must not crash the watcher nor silently drop its keys: the reload goes on
    /// (with the file empty) and validation rejects it, naming the file and line. Call after every source is added.
    /// </summary>
    public static void KeepReloadingThroughLoadErrors(IConfigurationBuilder configuration)
    {
        foreach (var source in configuration.Sources.OfType<FileConfigurationSource>())
        {
            source.OnLoadException = context => context.Ignore = true;
        }
    }

    private static void Report(string path, Exception exception, ConfigProblems problems)
    {
        if (exception is FileNotFoundException)
        {
            problems.Add(path, "file not found", "check the path given with --config");
            return;
        }

        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is JsonException json)
            {
                problems.Add(path, ConfigValidator.InvalidJson(json));
                return;
            }
        }

        // Neither missing nor malformed (a duplicate key, an unreadable file): the loader's own words are the detail.
        problems.Add(path, $"cannot be loaded ({(exception.InnerException ?? exception).Message.TrimEnd('.')})", "fix the file or leave it out of --config");
    }

    private static void ReportContentRootFiles(string contentRoot, ConfigProblems problems)
    {
        var files = Directory.Exists(contentRoot)
            ? Directory.EnumerateFiles(contentRoot, "appsettings*.json").Order(StringComparer.Ordinal)
            : Enumerable.Empty<string>();
        foreach (var file in files)
        {
            var error = ConfigValidator.TryParse(new PhysicalFileInfo(new FileInfo(file)));
            if (error is not null)
            {
                problems.Add(file, error);
            }
        }

        if (problems.IsValid)
        {
            problems.Add(Path.Combine(contentRoot, "appsettings.json"), "cannot be loaded", "check the appsettings files in the content root");
        }
    }
}
