using System.Globalization;
using System.Security.Authentication;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Ambassador.Configuration;

/// <summary>
/// Reads YARP's own <c>ReverseProxy</c> schema (Routes and Clusters as objects keyed by id) without
/// reflection, so it works under Native AOT, and names the full key of every value that does not parse.
/// YARP's reader is internal and reports only "Configuration data conversion failed", so we keep our own.
/// </summary>
internal static class ProxyConfigReader
{
    public const string SectionName = "ReverseProxy";

    public static (List<RouteConfig> Routes, List<ClusterConfig> Clusters) Read(IConfiguration root, ConfigProblems problems)
    {
        var proxy = root.GetSection(SectionName);
        var clusters = new List<ClusterConfig>();
        foreach (var section in proxy.GetSection("Clusters").GetChildren())
        {
            clusters.Add(ReadCluster(section, problems));
        }

        var routes = new List<RouteConfig>();
        foreach (var section in proxy.GetSection("Routes").GetChildren())
        {
            routes.Add(ReadRoute(section, problems));
        }

        return (routes, clusters);
    }

    private static RouteConfig ReadRoute(IConfigurationSection section, ConfigProblems problems)
    {
        var r = new Reader(section, problems);
        return new RouteConfig
        {
            RouteId = section.Key,
            Order = r.Int32("Order"),
            MaxRequestBodySize = r.Int64("MaxRequestBodySize"),
            ClusterId = section["ClusterId"],
            AuthorizationPolicy = section["AuthorizationPolicy"],
            RateLimiterPolicy = section["RateLimiterPolicy"],
            TimeoutPolicy = section["TimeoutPolicy"],
            Timeout = r.Duration("Timeout"),
            OutputCachePolicy = section["OutputCachePolicy"],
            CorsPolicy = section["CorsPolicy"],
            Metadata = ReadDictionary(section.GetSection("Metadata")),
            Transforms = ReadTransforms(section.GetSection("Transforms")),
            Match = ReadMatch(section.GetSection("Match"), problems),
        };
    }

    private static RouteMatch ReadMatch(IConfigurationSection section, ConfigProblems problems)
    {
        if (!section.Exists())
        {
            return new RouteMatch();
        }

        return new RouteMatch
        {
            Path = section["Path"],
            Methods = ReadArray(section.GetSection("Methods")),
            Hosts = ReadArray(section.GetSection("Hosts")),
            Headers = section.GetSection("Headers").Exists()
                ? section.GetSection("Headers").GetChildren().Select(h =>
                {
                    var r = new Reader(h, problems);
                    return new RouteHeader
                    {
                        Name = h["Name"] ?? string.Empty,
                        Values = ReadArray(h.GetSection("Values")),
                        Mode = r.Enum("Mode", HeaderMatchMode.ExactHeader),
                        IsCaseSensitive = r.Bool("IsCaseSensitive") ?? false,
                    };
                }).ToArray()
                : null,
            QueryParameters = section.GetSection("QueryParameters").Exists()
                ? section.GetSection("QueryParameters").GetChildren().Select(q =>
                {
                    var r = new Reader(q, problems);
                    return new RouteQueryParameter
                    {
                        Name = q["Name"] ?? string.Empty,
                        Values = ReadArray(q.GetSection("Values")),
                        Mode = r.Enum("Mode", QueryParameterMatchMode.Exact),
                        IsCaseSensitive = r.Bool("IsCaseSensitive") ?? false,
                    };
                }).ToArray()
                : null,
        };
    }

    private static ClusterConfig ReadCluster(IConfigurationSection section, ConfigProblems problems)
    {
        var r = new Reader(section, problems);
        var destinations = new Dictionary<string, DestinationConfig>(StringComparer.OrdinalIgnoreCase);
        foreach (var d in section.GetSection("Destinations").GetChildren())
        {
            destinations[d.Key] = new DestinationConfig
            {
                Address = d["Address"] ?? string.Empty,
                Health = d["Health"],
                Host = d["Host"],
                Metadata = ReadDictionary(d.GetSection("Metadata")),
            };
        }

        return new ClusterConfig
        {
            ClusterId = section.Key,
            LoadBalancingPolicy = section["LoadBalancingPolicy"],
            SessionAffinity = ReadSessionAffinity(section.GetSection("SessionAffinity"), problems),
            HealthCheck = ReadHealthCheck(section.GetSection("HealthCheck"), problems),
            HttpClient = ReadHttpClient(section.GetSection("HttpClient"), problems),
            HttpRequest = ReadHttpRequest(section.GetSection("HttpRequest"), problems),
            Metadata = ReadDictionary(section.GetSection("Metadata")),
            Destinations = destinations,
        };
    }

    private static SessionAffinityConfig? ReadSessionAffinity(IConfigurationSection section, ConfigProblems problems)
    {
        if (!section.Exists())
        {
            return null;
        }

        var r = new Reader(section, problems);
        var cookie = section.GetSection("Cookie");
        var c = new Reader(cookie, problems);
        return new SessionAffinityConfig
        {
            Enabled = r.Bool("Enabled"),
            Policy = section["Policy"],
            FailurePolicy = section["FailurePolicy"],
            AffinityKeyName = section["AffinityKeyName"] ?? string.Empty,
            Cookie = cookie.Exists()
                ? new SessionAffinityCookieConfig
                {
                    Path = cookie["Path"],
                    Domain = cookie["Domain"],
                    HttpOnly = c.Bool("HttpOnly"),
                    IsEssential = c.Bool("IsEssential"),
                    MaxAge = c.Duration("MaxAge"),
                    Expiration = c.Duration("Expiration"),
                    SameSite = c.NullableEnum<SameSiteMode>("SameSite"),
                    SecurePolicy = c.NullableEnum<CookieSecurePolicy>("SecurePolicy"),
                }
                : null,
        };
    }

    private static HealthCheckConfig? ReadHealthCheck(IConfigurationSection section, ConfigProblems problems)
    {
        if (!section.Exists())
        {
            return null;
        }

        var passive = section.GetSection("Passive");
        var active = section.GetSection("Active");
        var p = new Reader(passive, problems);
        var a = new Reader(active, problems);
        return new HealthCheckConfig
        {
            AvailableDestinationsPolicy = section["AvailableDestinationsPolicy"],
            Passive = passive.Exists()
                ? new PassiveHealthCheckConfig { Enabled = p.Bool("Enabled"), Policy = passive["Policy"], ReactivationPeriod = p.Duration("ReactivationPeriod") }
                : null,
            Active = active.Exists()
                ? new ActiveHealthCheckConfig
                {
                    Enabled = a.Bool("Enabled"),
                    Interval = a.Duration("Interval"),
                    Timeout = a.Duration("Timeout"),
                    Policy = active["Policy"],
                    Path = active["Path"],
                    Query = active["Query"],
                }
                : null,
        };
    }

    private static HttpClientConfig? ReadHttpClient(IConfigurationSection section, ConfigProblems problems)
    {
        if (!section.Exists())
        {
            return null;
        }

        var r = new Reader(section, problems);
        SslProtocols? protocols = null;
        foreach (var child in section.GetSection("SslProtocols").GetChildren())
        {
            if (Enum.TryParse<SslProtocols>(child.Value, ignoreCase: true, out var protocol))
            {
                protocols = (protocols ?? SslProtocols.None) | protocol;
            }
            else
            {
                problems.Add(child.Path, $"'{child.Value}' is not a TLS protocol", "use Tls12 or Tls13");
            }
        }

        var proxySection = section.GetSection("WebProxy");
        var w = new Reader(proxySection, problems);
        return new HttpClientConfig
        {
            SslProtocols = protocols,
            DangerousAcceptAnyServerCertificate = r.Bool("DangerousAcceptAnyServerCertificate"),
            MaxConnectionsPerServer = r.Int32("MaxConnectionsPerServer"),
            EnableMultipleHttp2Connections = r.Bool("EnableMultipleHttp2Connections"),
            RequestHeaderEncoding = section["RequestHeaderEncoding"],
            ResponseHeaderEncoding = section["ResponseHeaderEncoding"],
            WebProxy = proxySection.Exists()
                ? new WebProxyConfig { Address = w.Uri("Address"), BypassOnLocal = w.Bool("BypassOnLocal"), UseDefaultCredentials = w.Bool("UseDefaultCredentials") }
                : null,
        };
    }

    private static ForwarderRequestConfig? ReadHttpRequest(IConfigurationSection section, ConfigProblems problems)
    {
        if (!section.Exists())
        {
            return null;
        }

        var r = new Reader(section, problems);
        return new ForwarderRequestConfig
        {
            ActivityTimeout = r.Duration("ActivityTimeout"),
            Version = r.Version("Version"),
            VersionPolicy = r.NullableEnum<HttpVersionPolicy>("VersionPolicy"),
            AllowResponseBuffering = r.Bool("AllowResponseBuffering"),
        };
    }

    private static Dictionary<string, string>? ReadDictionary(IConfigurationSection section)
    {
        if (!section.Exists())
        {
            return null;
        }

        return section.GetChildren().ToDictionary(c => c.Key, c => c.Value ?? string.Empty, StringComparer.OrdinalIgnoreCase);
    }

    private static string[]? ReadArray(IConfigurationSection section)
    {
        if (!section.Exists())
        {
            return null;
        }

        return section.GetChildren().Select(c => c.Value).OfType<string>().ToArray();
    }

    private static List<IReadOnlyDictionary<string, string>>? ReadTransforms(IConfigurationSection section)
    {
        var children = section.GetChildren().ToList();
        if (children.Count == 0)
        {
            return null;
        }

        return children
            .Select(t => (IReadOnlyDictionary<string, string>)t.GetChildren().ToDictionary(d => d.Key, d => d.Value ?? string.Empty, StringComparer.OrdinalIgnoreCase))
            .ToList();
    }

    private readonly struct Reader(IConfigurationSection section, ConfigProblems problems)
    {
        public int? Int32(string key) => Integer<int>(key);

        public long? Int64(string key) => Integer<long>(key);

        private T? Integer<T>(string key)
            where T : struct, System.Numerics.IBinaryInteger<T>
        {
            var raw = section[key];
            if (raw is null)
            {
                return null;
            }

            if (T.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }

            problems.Add($"{section.Path}:{key}", $"'{raw}' is not an integer", "use a whole number such as 1");
            return null;
        }

        public bool? Bool(string key)
        {
            var raw = section[key];
            if (raw is null)
            {
                return null;
            }

            if (bool.TryParse(raw, out var value))
            {
                return value;
            }

            problems.Add($"{section.Path}:{key}", $"'{raw}' is not a boolean", "use true or false");
            return null;
        }

        public TimeSpan? Duration(string key)
        {
            var raw = section[key];
            if (raw is null)
            {
                return null;
            }

            if (TimeSpan.TryParse(raw, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }

            problems.Add($"{section.Path}:{key}", $"'{raw}' is not a duration", "use a TimeSpan such as 00:00:05");
            return null;
        }

        public Uri? Uri(string key)
        {
            var raw = section[key];
            if (raw is null)
            {
                return null;
            }

            if (System.Uri.TryCreate(raw, UriKind.Absolute, out var value))
            {
                return value;
            }

            problems.Add($"{section.Path}:{key}", $"'{raw}' is not an absolute URI", "use e.g. http://proxy.internal:3128");
            return null;
        }

        public Version? Version(string key)
        {
            var raw = section[key];
            if (raw is null)
            {
                return null;
            }

            // YARP accepts "2" as well as "2.0".
            var text = raw.Contains('.', StringComparison.Ordinal) ? raw : raw + ".0";
            if (System.Version.TryParse(text, out var value) && value.Major is 1 or 2 or 3)
            {
                return value;
            }

            problems.Add($"{section.Path}:{key}", $"'{raw}' is not an HTTP version", "use 1.1, 2 or 3");
            return null;
        }

        public TEnum Enum<TEnum>(string key, TEnum fallback)
            where TEnum : struct, Enum => NullableEnum<TEnum>(key) ?? fallback;

        public TEnum? NullableEnum<TEnum>(string key)
            where TEnum : struct, Enum
        {
            var raw = section[key];
            if (raw is null)
            {
                return null;
            }

            if (System.Enum.TryParse<TEnum>(raw, ignoreCase: true, out var value) && !int.TryParse(raw, out _))
            {
                return value;
            }

            problems.Add($"{section.Path}:{key}", $"'{raw}' is not allowed", $"use one of {string.Join(", ", System.Enum.GetNames<TEnum>())}");
            return null;
        }
    }
}
