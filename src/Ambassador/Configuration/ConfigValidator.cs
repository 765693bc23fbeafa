using System.Text.Json;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;
using Yarp.ReverseProxy.Configuration;

namespace Ambassador.Configuration;

/// <summary>
/// Validates a whole candidate configuration: every JSON file parses, YARP's own rules for routes and
/// clusters, every declared option (<see cref="OptionSection"/>: types, ranges, unknown keys) and every feature's
/// <see cref="IConfigValidationContributor"/> (checks across keys). Used at start, on reload and by
/// <c>Ambassador validate</c>, so the three report the same messages.
/// </summary>
internal sealed class ConfigValidator(IEnumerable<OptionSection> sections, IEnumerable<IConfigValidationContributor> contributors, IConfigValidator yarpValidator)
{
    private readonly OptionValidator _options = new(sections);

    private static readonly JsonDocumentOptions JsonOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    public ConfigProblems Validate(IConfigurationRoot candidate)
    {
        var problems = new ConfigProblems();
        CheckJsonFiles(candidate, problems);
        if (!problems.IsValid)
        {
            // A file that does not parse contributes no keys: validating the rest would report noise.
            return problems;
        }

        ValidateProxy(candidate, problems);
        _options.Validate(candidate, problems);
        foreach (var contributor in contributors)
        {
            contributor.Validate(candidate, problems);
        }

        return problems;
    }

    /// <summary>Reports every JSON file source that does not parse, naming the file and the line.</summary>
    public static void CheckJsonFiles(IConfigurationRoot root, ConfigProblems problems)
    {
        foreach (var provider in root.Providers.OfType<JsonConfigurationProvider>())
        {
            var source = provider.Source;
            var file = source.Path is null ? null : source.FileProvider?.GetFileInfo(source.Path);
            if (file is null || !file.Exists || file.PhysicalPath is null)
            {
                continue;
            }

            var error = TryParse(file);
            if (error is not null)
            {
                problems.Add(file.PhysicalPath, error);
            }
        }
    }

    /// <summary>Returns a one-line description of why <paramref name="file"/> is not valid JSON, or null.</summary>
    public static string? TryParse(IFileInfo file)
    {
        try
        {
            using var stream = file.CreateReadStream();
            using var _ = JsonDocument.Parse(stream, JsonOptions);
            return null;
        }
        catch (JsonException ex)
        {
            return InvalidJson(ex);
        }
        catch (IOException ex)
        {
            return $"cannot be read ({ex.Message}); check the file's permissions";
        }
    }

    /// <summary>The problem text for a file that does not parse, from the parser's position (zero-based, printed one-based).</summary>
    public static string InvalidJson(JsonException ex) =>
        $"invalid JSON at line {(ex.LineNumber ?? 0) + 1}, position {(ex.BytePositionInLine ?? 0) + 1}; fix the syntax there (comments and trailing commas are allowed)";

    private void ValidateProxy(IConfiguration candidate, ConfigProblems problems)
    {
        var (routes, clusters) = ProxyConfigReader.Read(candidate, problems);
        var clusterIds = new HashSet<string>(clusters.Select(c => c.ClusterId), StringComparer.OrdinalIgnoreCase);

        foreach (var child in candidate.GetSection(ProxyConfigReader.SectionName).GetChildren())
        {
            if (child.Key is not ("Routes" or "Clusters"))
            {
                problems.Add(child.Path, "unknown key", OptionValidator.Suggest(child.Key, ["Routes", "Clusters"]));
            }
        }

        foreach (var route in routes)
        {
            var key = $"{ProxyConfigReader.SectionName}:Routes:{route.RouteId}";
            foreach (var error in yarpValidator.ValidateRouteAsync(route).AsTask().GetAwaiter().GetResult())
            {
                problems.Add(key, error.Message);
            }

            ValidateRouteIntegrations(route, key, problems);
            if (route.ClusterId is not null && !clusterIds.Contains(route.ClusterId))
            {
                problems.Add($"{key}:ClusterId", $"no cluster named '{route.ClusterId}'", clusterIds.Count == 0
                    ? "define it under ReverseProxy:Clusters"
                    : $"use one of {string.Join(", ", clusterIds.Order(StringComparer.OrdinalIgnoreCase))}");
            }
        }

        foreach (var cluster in clusters)
        {
            var key = $"{ProxyConfigReader.SectionName}:Clusters:{cluster.ClusterId}";
            foreach (var error in yarpValidator.ValidateClusterAsync(cluster).AsTask().GetAwaiter().GetResult())
            {
                problems.Add(key, error.Message);
            }

            foreach (var (id, destination) in cluster.Destinations ?? new Dictionary<string, DestinationConfig>())
            {
                if (!Uri.TryCreate(destination.Address, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host))
                {
                    problems.Add($"{key}:Destinations:{id}:Address", $"'{destination.Address}' is not an absolute http or https URL",
                        "use e.g. http://10.0.0.5:8080, or http://<service> to resolve the service by discovery");
                }
            }
        }
    }

    /// <summary>
    /// YARP hands a route's authorization, CORS, rate-limiter, request-timeout and output-cache settings to ASP.NET
    /// Core middleware that the sidecar does not run (it has no authentication, and its own limits and timeouts are per
    /// cluster policy). Accepted, such a route would answer every request 500 (ASP.NET refuses an endpoint whose
    /// metadata no middleware handled) or, for a rate limiter, silently not limit; so only the no-op values pass.
    /// </summary>
    private static void ValidateRouteIntegrations(RouteConfig route, string key, ConfigProblems problems)
    {
        if (route.AuthorizationPolicy is { } authorization && !authorization.Equals("Anonymous", StringComparison.OrdinalIgnoreCase))
        {
            problems.Add($"{key}:AuthorizationPolicy", $"'{authorization}' cannot be enforced: Ambassador does not authenticate requests",
                "remove the key (or use Anonymous); the app beside the sidecar authorizes its callers");
        }

        if (route.CorsPolicy is not null)
        {
            problems.Add($"{key}:CorsPolicy", "not supported: Ambassador does not answer CORS requests itself",
                "remove the key; the app's CORS headers pass through unchanged");
        }

        if (route.RateLimiterPolicy is { } limiter && !limiter.Equals("Disable", StringComparison.OrdinalIgnoreCase))
        {
            problems.Add($"{key}:RateLimiterPolicy", $"'{limiter}' would not be applied: Ambassador runs no ASP.NET rate limiter",
                "remove the key and bound the cluster with its policy's Limits (MaxConcurrentRequests, MaxQueuedRequests)");
        }

        if (route.Timeout is not null)
        {
            problems.Add($"{key}:Timeout", "not supported: Ambassador runs no ASP.NET request timeouts",
                "remove the key and bound the request with its cluster policy's Timeout:Total");
        }

        if (route.TimeoutPolicy is { } timeout && !timeout.Equals("Disable", StringComparison.OrdinalIgnoreCase))
        {
            problems.Add($"{key}:TimeoutPolicy", $"'{timeout}' would not be applied: Ambassador runs no ASP.NET request timeouts",
                "remove the key and bound the request with its cluster policy's Timeout:Total");
        }

        if (route.OutputCachePolicy is not null)
        {
            problems.Add($"{key}:OutputCachePolicy", "not supported: Ambassador does not cache responses", "remove the key");
        }
    }
}
