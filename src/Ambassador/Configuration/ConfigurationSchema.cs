using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Ambassador.Discovery.Consul;
using Ambassador.Policies;
using Ambassador.Tls;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Configuration;

namespace Ambassador.Configuration;

/// <summary>The names YARP's pluggable policies are registered under (built-in and Ambassador's), as the schema offers them.</summary>
internal sealed record ProxyPolicyNames(
    IReadOnlyList<string> LoadBalancing,
    IReadOnlyList<string> SessionAffinity,
    IReadOnlyList<string> AffinityFailure,
    IReadOnlyList<string> ActiveHealthCheck,
    IReadOnlyList<string> PassiveHealthCheck,
    IReadOnlyList<string> AvailableDestinations);

/// <summary>A metadata key Ambassador reads from a cluster or destination (YARP metadata is otherwise free-form).</summary>
/// <param name="Key">The metadata key.</param>
/// <param name="Values">What a value looks like, for the docs' values column.</param>
/// <param name="Doc">One line saying what it does.</param>
/// <param name="Examples">Values editors offer for completion.</param>
internal sealed record MetadataKey(string Key, string Values, string Doc, params string[] Examples);

/// <summary>
/// Generates the JSON schema of a configuration file (<c>schema/ambassador.schema.json</c>) and the option tables of
/// <c>docs/configuration.md</c> from the declared <see cref="OptionSection"/>s, so editors, docs and validation read one
/// declaration. Draft-07: the draft VS Code and JetBrains IDEs complete and check fully.
/// </summary>
internal static class ConfigurationSchema
{
    /// <summary>Where the schema lives, relative to the repository root (configs reference it relatively).</summary>
    public const string SchemaPath = "schema/ambassador.schema.json";

    /// <summary>Where the generated option tables live, relative to the repository root.</summary>
    public const string DocsPath = "docs/configuration.md";

    /// <summary>Line that opens the generated block in <see cref="DocsPath"/>.</summary>
    public const string DocsBegin = "<!-- BEGIN generated option tables: edit the option tables in the code, then run `dotnet run --project src/Ambassador -- schema --write \"$PWD\"` -->";

    /// <summary>Line that closes the generated block in <see cref="DocsPath"/>.</summary>
    public const string DocsEnd = "<!-- END generated option tables -->";

    /// <summary>Cluster metadata keys Ambassador reads (<c>ReverseProxy:Clusters:&lt;id&gt;:Metadata:&lt;key&gt;</c>).</summary>
    public static readonly IReadOnlyList<MetadataKey> ClusterMetadata =
    [
        new(PolicyConstants.ClusterMetadataKey, $"a policy name, e.g. `{PolicyConstants.DefaultPolicyName}`, or `{PolicyConstants.NoPolicyName}`",
            $"The resilience policy of this cluster: a name under Ambassador:Policies, or '{PolicyConstants.NoPolicyName}' for no retries, breakers or policy timeouts. Default: {PolicyConstants.DefaultPolicyName}.",
            PolicyConstants.DefaultPolicyName, PolicyConstants.NoPolicyName),
        new(UpstreamTlsMetadata.CaPath, "a file path", "PEM bundle of CA certificates trusted for this cluster's https destinations instead of the system store."),
        new(UpstreamTlsMetadata.ClientCertificatePath, "a file path", "PEM client certificate (chain) presented to this cluster's destinations (mTLS); needs ClientKeyPath."),
        new(UpstreamTlsMetadata.ClientKeyPath, "a file path", "PEM private key of ClientCertificatePath."),
        new(UpstreamTlsMetadata.Sni, "a host name", "Server name sent in SNI and verified in the upstream certificate. Default: the destination's host."),
    ];

    /// <summary>Destination metadata keys Ambassador reads (<c>…:Destinations:&lt;d&gt;:Metadata:&lt;key&gt;</c>).</summary>
    public static readonly IReadOnlyList<MetadataKey> DestinationMetadata =
    [
        new(ConsulConstants.DiscoveryMetadataKey, $"`{ConsulConstants.StaticDiscovery}`",
            $"'{ConsulConstants.StaticDiscovery}' keeps this destination's address as written: its host name is not a service for discovery to resolve.",
            ConsulConstants.StaticDiscovery),
    ];

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = true,
        NewLine = "\n",
        // Docs quote keys ('default') and show <name>: keep them readable instead of \u0027 and \u003C.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The schema text (with a final newline) for <paramref name="sections"/> and YARP's <c>ReverseProxy</c> shape.</summary>
    public static string Generate(IEnumerable<OptionSection> sections, ProxyPolicyNames names)
    {
        ArgumentNullException.ThrowIfNull(sections);
        ArgumentNullException.ThrowIfNull(names);
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("$schema", "http://json-schema.org/draft-07/schema#");
            w.WriteString("title", "Ambassador configuration");
            w.WriteString("description", "appsettings.json of Ambassador, the YARP-based sidecar proxy: Ambassador's own options and YARP's ReverseProxy section. Generated from the option declarations; do not edit.");
            w.WriteString("type", "object");
            w.WriteStartObject("properties");
            w.WriteStartObject("$schema");
            w.WriteString("type", "string");
            w.WriteString("description", "The JSON schema editors check this file against; Ambassador ignores it.");
            w.WriteEndObject();
            WriteNode(w, OptionValidator.Root, Tree(sections), "Ambassador's own options; every key is declared, so an unknown one is a mistake.");
            WriteReverseProxy(w, names);
            // The rest of an ASP.NET configuration is not Ambassador's to restrict: offered for completion only.
            Loose(w, "Logging", "ASP.NET Core logging: LogLevel per category, Console formatter options.");
            Loose(w, "Kestrel", "ASP.NET Core Kestrel server options (Ambassador's listeners are set under Ambassador:Listeners).");
            Str(w, "AllowedHosts", "ASP.NET Core host filtering: semicolon-separated host names, * for any.");
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n";
    }

    /// <summary>
    /// The Markdown block (between <see cref="DocsBegin"/> and <see cref="DocsEnd"/>, both included) with one table per
    /// section: key, type, default, allowed values and doc, in declaration order; sections sorted by path.
    /// </summary>
    public static string GenerateDocs(IEnumerable<OptionSection> sections)
    {
        ArgumentNullException.ThrowIfNull(sections);
        var text = new StringBuilder();
        text.Append(DocsBegin).Append('\n');
        foreach (var section in Distinct(sections))
        {
            var path = section.Path.Replace("*", "<name>", StringComparison.Ordinal);
            text.Append('\n').Append("### `").Append(path).Append("`\n\n");
            text.Append(Cell(section.Doc)).Append("\n\n");
            text.Append("| key | type | default | allowed | description |\n");
            text.Append("|---|---|---|---|---|\n");
            foreach (var option in section.Options)
            {
                var allowed = option.Allowed.StartsWith("use ", StringComparison.Ordinal) ? option.Allowed[4..] : option.Allowed;
                text.Append("| `").Append(option.Key).Append("` | ")
                    .Append(option.TypeName).Append(" | ")
                    .Append(option.DefaultText is { Length: > 0 } d ? $"`{d}`" : "—").Append(" | ")
                    .Append(Cell(allowed)).Append(" | ")
                    .Append(Cell(option.Doc)).Append(option.IsSecret ? " *(secret)*" : string.Empty).Append(" |\n");
            }
        }

        MetadataTable(text, "ReverseProxy:Clusters:<id>:Metadata", "Cluster metadata Ambassador reads; other keys are kept for your own use.", ClusterMetadata);
        MetadataTable(text, "ReverseProxy:Clusters:<id>:Destinations:<d>:Metadata", "Destination metadata Ambassador reads.", DestinationMetadata);
        text.Append('\n').Append(DocsEnd).Append('\n');
        return text.ToString();
    }

    /// <summary>
    /// Replaces the generated block of <paramref name="markdown"/> with <paramref name="block"/>; null when the markers
    /// are missing or out of order (nothing to replace safely).
    /// </summary>
    public static string? ReplaceDocs(string markdown, string block)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        ArgumentNullException.ThrowIfNull(block);
        var start = markdown.IndexOf(DocsBegin, StringComparison.Ordinal);
        var end = markdown.IndexOf(DocsEnd, StringComparison.Ordinal);
        if (start < 0 || end < start)
        {
            return null;
        }

        var after = end + DocsEnd.Length;
        if (after < markdown.Length && markdown[after] == '\n')
        {
            after++;
        }

        return string.Concat(markdown.AsSpan(0, start), block, markdown.AsSpan(after));
    }

    private static List<OptionSection> Distinct(IEnumerable<OptionSection> sections) =>
        sections.DistinctBy(s => s.Path, StringComparer.OrdinalIgnoreCase)
            .OrderBy(s => s.Path, StringComparer.Ordinal)
            .ToList();

    private static void MetadataTable(StringBuilder text, string path, string doc, IReadOnlyList<MetadataKey> keys)
    {
        text.Append('\n').Append("### `").Append(path).Append("`\n\n").Append(doc).Append("\n\n");
        text.Append("| key | values | description |\n|---|---|---|\n");
        foreach (var key in keys)
        {
            text.Append("| `").Append(key.Key).Append("` | ").Append(key.Values).Append(" | ").Append(Cell(key.Doc)).Append(" |\n");
        }
    }

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);

    /// <summary>The declared keys as a tree under <see cref="OptionValidator.Root"/>; <c>*</c> nodes stand for any name.</summary>
    private static Node Tree(IEnumerable<OptionSection> sections)
    {
        var root = new Node();
        foreach (var section in Distinct(sections))
        {
            var node = root;
            foreach (var segment in section.Segments.Skip(1))
            {
                node = node.Child(segment);
            }

            node.Doc ??= section.Doc;
            foreach (var option in section.Options)
            {
                var leaf = node;
                foreach (var segment in option.Key.Split(':'))
                {
                    leaf = leaf.Child(segment);
                }

                leaf.Option = option;
            }
        }

        return root;
    }

    private static void WriteNode(Utf8JsonWriter w, string name, Node node, string? doc)
    {
        w.WriteStartObject(name);
        WriteNodeBody(w, node, doc);
        w.WriteEndObject();
    }

    private static void WriteNodeBody(Utf8JsonWriter w, Node node, string? doc)
    {
        if (node.Option is { } option)
        {
            option.WriteSchema(w);
            if (option.IsSecret)
            {
                // Editors that honour it keep the value out of hovers; Ambassador never logs it either.
                w.WriteBoolean("writeOnly", true);
            }

            return;
        }

        w.WriteString("type", "object");
        // A map of named sections says what each entry is, so the hover on "Policies" explains its names.
        var each = node.Children.TryGetValue("*", out var entry) && entry.Doc is { } entryDoc ? $"By name; each entry: {entryDoc}" : null;
        if ((doc ?? node.Doc ?? each) is { } description)
        {
            w.WriteString("description", description);
        }

        var named = node.Children.Where(c => c.Key != "*").OrderBy(c => c.Key, StringComparer.Ordinal).ToList();
        if (named.Count > 0)
        {
            w.WriteStartObject("properties");
            foreach (var (key, child) in named)
            {
                WriteNode(w, key, child, null);
            }

            w.WriteEndObject();
        }

        if (node.Children.TryGetValue("*", out var any))
        {
            // A map of named sections (Ambassador:Policies:<name>): every name gets the same shape.
            w.WriteStartObject("additionalProperties");
            WriteNodeBody(w, any, null);
            w.WriteEndObject();
        }
        else
        {
            // Every Ambassador key is declared: anything else is a typo the editor should underline.
            w.WriteBoolean("additionalProperties", false);
        }
    }

    private static void WriteReverseProxy(Utf8JsonWriter w, ProxyPolicyNames names)
    {
        Closed(w, "ReverseProxy", "YARP's routes and clusters (its own schema; Ambassador validates it with YARP's rules plus policy, discovery and TLS cross-checks).", () =>
        {
            Map(w, "Routes", "Routes by route id: which requests go to which cluster.", () => Route(w));
            Map(w, "Clusters", "Clusters by cluster id: where matched requests go and how.", () => Cluster(w, names));
        });
    }

    private static void Route(Utf8JsonWriter w)
    {
        // Nothing is "required": appsettings.{Environment}.json and --config files overlay parts of a route or cluster.
        w.WriteString("type", "object");
        w.WriteStartObject("properties");
        Str(w, "ClusterId", "The cluster (a key of ReverseProxy:Clusters) this route forwards to.");
        Int(w, "Order", "Route priority: lower numbers match first. Default: 0.");
        Closed(w, "Match", "Which requests this route takes; every given criterion must match.", () =>
        {
            Str(w, "Path", "ASP.NET route template, e.g. /inventory/{**rest} or {**catch-all}.", "/{**catch-all}", "/api/{**rest}");
            StrList(w, "Hosts", "Host header values (with optional port and leading *. wildcard), e.g. api.example.com.");
            StrList(w, "Methods", "HTTP methods, e.g. GET, POST.", "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");
            Items(w, "Headers", "Request header criteria.", () => Criterion(w, "header", Enum.GetNames<Yarp.ReverseProxy.Configuration.HeaderMatchMode>()));
            Items(w, "QueryParameters", "Query string criteria.", () => Criterion(w, "query parameter", Enum.GetNames<QueryParameterMatchMode>()));
        });

        // YARP's hooks into ASP.NET Core's authorization, CORS, rate limiting, request timeouts and output caching need
        // middleware the sidecar does not run; only their no-op values are accepted (RouteIntegrations).
        StrEnum(w, "AuthorizationPolicy", "Only Anonymous: Ambassador does not authenticate requests (the app does).", ["Anonymous"]);
        StrEnum(w, "RateLimiterPolicy", "Only Disable: bound a cluster with its policy's Limits instead.", ["Disable"]);
        StrEnum(w, "TimeoutPolicy", "Only Disable: bound a request with its cluster policy's Timeout:Total instead.", ["Disable"]);
        Int(w, "MaxRequestBodySize", "Largest request body in bytes for this route; -1 for no limit. Default: Kestrel's limit.");
        StringMap(w, "Metadata", "Free-form route metadata.", []);
        Items(w, "Transforms", "Request and response transforms in order, each an object such as { \"PathRemovePrefix\": \"/inventory\" }.", () =>
        {
            w.WriteString("type", "object");
            Child(w, "properties", () =>
            {
                foreach (var transform in (string[])["PathPrefix", "PathRemovePrefix", "PathSet", "PathPattern", "QueryValueParameter", "QueryRouteParameter", "QueryRemoveParameter", "RequestHeader", "RequestHeaderRemove", "RequestHeadersCopy", "RequestHeaderOriginalHost", "ResponseHeader", "ResponseHeaderRemove", "ResponseHeadersCopy", "ResponseTrailer", "ResponseTrailerRemove", "ResponseTrailersCopy", "Set", "Append", "When", "X-Forwarded", "Forwarded", "ClientCert", "HttpMethodChange"])
                {
                    TransformValue(w, transform);
                }
            });
            Child(w, "additionalProperties", () => TransformValueType(w));
        });
        w.WriteEndObject();
        w.WriteBoolean("additionalProperties", false);
    }

    private static void Criterion(Utf8JsonWriter w, string what, string[] modes)
    {
        w.WriteString("type", "object");
        w.WriteStartObject("properties");
        Str(w, "Name", $"The {what} name.");
        StrList(w, "Values", "Values to compare with (any one matches).");
        StrEnum(w, "Mode", "How the values are compared.", modes);
        Bool(w, "IsCaseSensitive", "Compare values case-sensitively. Default: false.");
        w.WriteEndObject();
        w.WriteBoolean("additionalProperties", false);
    }

    private static void Cluster(Utf8JsonWriter w, ProxyPolicyNames names)
    {
        w.WriteString("type", "object");
        w.WriteStartObject("properties");
        StrEnum(w, "LoadBalancingPolicy", $"How a destination is picked; {LoadBalancingDoc}. Default: PowerOfTwoChoices.", names.LoadBalancing);
        Closed(w, "SessionAffinity", "Keep a client on the destination it used before.", () =>
        {
            Bool(w, "Enabled", "Turns session affinity on. Default: false.");
            StrEnum(w, "Policy", "Where the affinity key is kept. Default: HashCookie.", names.SessionAffinity);
            StrEnum(w, "FailurePolicy", "What happens when the affine destination is gone. Default: Redistribute.", names.AffinityFailure);
            Str(w, "AffinityKeyName", "Name of the cookie or header that carries the affinity key.");
            Closed(w, "Cookie", "The affinity cookie's attributes.", () =>
            {
                Str(w, "Domain", "Cookie Domain attribute.");
                Str(w, "Path", "Cookie Path attribute. Default: /.");
                Duration(w, "Expiration", "Cookie expiry, from the response time.");
                Duration(w, "MaxAge", "Cookie Max-Age.");
                Bool(w, "HttpOnly", "Cookie HttpOnly attribute. Default: true.");
                Bool(w, "IsEssential", "Whether the cookie is essential (GDPR consent). Default: false.");
                StrEnum(w, "SameSite", "Cookie SameSite attribute. Default: Unspecified.", Enum.GetNames<SameSiteMode>());
                StrEnum(w, "SecurePolicy", "Cookie Secure attribute. Default: SameAsRequest.", Enum.GetNames<CookieSecurePolicy>());
            });
        });
        Closed(w, "HealthCheck", "Active probes and passive (traffic-based) health of the destinations.", () =>
        {
            StrEnum(w, "AvailableDestinationsPolicy", "Which destinations take traffic by health. Default: HealthyOrPanic.", names.AvailableDestinations);
            Closed(w, "Active", "Periodic probes of every destination.", () =>
            {
                Bool(w, "Enabled", "Turns the probes on. Default: false.");
                Duration(w, "Interval", "Time between probes. Default: 00:00:15.");
                Duration(w, "Timeout", "Time allowed for one probe. Default: 00:00:10.");
                StrEnum(w, "Policy", "How probe results decide health. Default: ConsecutiveFailures.", names.ActiveHealthCheck);
                Str(w, "Path", "Probe path, e.g. /health.", "/health", "/healthz");
                Str(w, "Query", "Probe query string, e.g. ?deep=true.");
            });
            Closed(w, "Passive", "Health from the outcome of proxied requests.", () =>
            {
                Bool(w, "Enabled", "Turns passive health on. Default: false.");
                StrEnum(w, "Policy", "How request outcomes decide health. Default: TransportFailureRate.", names.PassiveHealthCheck);
                Duration(w, "ReactivationPeriod", "Time an unhealthy destination stays out before it is tried again.");
            });
        });
        Closed(w, "HttpClient", "The HTTP client to the destinations (upstream TLS certificates are set in Metadata).", () =>
        {
            Items(w, "SslProtocols", "TLS versions allowed to the destinations. Default: the system's.", () =>
            {
                w.WriteString("type", "string");
                Values(w, "enum", ["Tls12", "Tls13"]);
            });
            Bool(w, "DangerousAcceptAnyServerCertificate", "Accept any upstream certificate (tests only; prefer Metadata:CaPath). Default: false.");
            Int(w, "MaxConnectionsPerServer", "Connections per destination. Default: no limit.");
            Bool(w, "EnableMultipleHttp2Connections", "Open more HTTP/2 connections when one is full. Default: true.");
            Str(w, "RequestHeaderEncoding", "Encoding of request header values, e.g. utf-8. Default: ASCII.");
            Str(w, "ResponseHeaderEncoding", "Encoding of response header values, e.g. utf-8. Default: ASCII.");
            Closed(w, "WebProxy", "An outbound HTTP proxy.", () =>
            {
                Str(w, "Address", "The proxy's absolute URI, e.g. http://proxy.internal:3128.");
                Bool(w, "BypassOnLocal", "Skip the proxy for local addresses. Default: false.");
                Bool(w, "UseDefaultCredentials", "Send the process's default credentials to the proxy. Default: false.");
            });
        });
        Closed(w, "HttpRequest", "How requests to the destinations are sent.", () =>
        {
            Duration(w, "ActivityTimeout", "Idle time allowed between bytes of a response before it is aborted. Default: 00:01:40.");
            w.WritePropertyName("Version");
            w.WriteStartObject();
            Values(w, "type", ["string", "number"]);
            w.WriteStartArray("enum");
            foreach (var version in (string[])["1.0", "1.1", "2", "2.0", "3", "3.0"])
            {
                w.WriteStringValue(version);
            }

            w.WriteNumberValue(1.1);
            w.WriteNumberValue(2);
            w.WriteNumberValue(3);
            w.WriteEndArray();
            w.WriteString("description", "HTTP version of upstream requests. Default: 2 (with VersionPolicy RequestVersionOrLower).");
            w.WriteEndObject();
            StrEnum(w, "VersionPolicy", "Whether Version is a minimum, a maximum or exact. Default: RequestVersionOrLower.", Enum.GetNames<HttpVersionPolicy>());
            Bool(w, "AllowResponseBuffering", "Let the server buffer the response (IIS). Default: false.");
        });
        StringMap(w, "Metadata", "Cluster metadata; the keys below are Ambassador's, any other key is kept for your own use.", ClusterMetadata);
        Map(w, "Destinations", "The cluster's destinations by id.", () =>
        {
            w.WriteString("type", "object");
            w.WriteStartObject("properties");
            Str(w, "Address", "Absolute http or https URL; a host name that is a service (http://inventory) is resolved by discovery when Consul is configured.", "http://127.0.0.1:8080", "http://inventory");
            Str(w, "Health", "Address for active health probes instead of Address.");
            Str(w, "Host", "Host header sent to this destination instead of the request's.");
            StringMap(w, "Metadata", "Destination metadata; the keys below are Ambassador's.", DestinationMetadata);
            w.WriteEndObject();
            w.WriteBoolean("additionalProperties", false);
        });
        w.WriteEndObject();
        w.WriteBoolean("additionalProperties", false);
    }

    private const string LoadBalancingDoc = "PeakEwma (Ambassador) prefers the destination with the lowest recent latency times load";

    private static void Loose(Utf8JsonWriter w, string name, string doc)
    {
        Open(w, name, "object", doc);
        w.WriteEndObject();
    }

    private static void Closed(Utf8JsonWriter w, string name, string doc, Action properties)
    {
        Open(w, name, "object", doc);
        Child(w, "properties", properties);
        // YARP's reader ignores keys it does not know: a misspelt one would silently do nothing.
        w.WriteBoolean("additionalProperties", false);
        w.WriteEndObject();
    }

    private static void Map(Utf8JsonWriter w, string name, string doc, Action value)
    {
        Open(w, name, "object", doc);
        Child(w, "additionalProperties", value);
        w.WriteEndObject();
    }

    private static void Items(Utf8JsonWriter w, string name, string doc, Action item)
    {
        Open(w, name, "array", doc);
        Child(w, "items", item);
        w.WriteEndObject();
    }

    private static void Str(Utf8JsonWriter w, string name, string doc, params string[] examples)
    {
        Open(w, name, "string", doc);
        Examples(w, examples);
        w.WriteEndObject();
    }

    private static void StrEnum(Utf8JsonWriter w, string name, string doc, IEnumerable<string> values)
    {
        w.WriteStartObject(name);
        w.WriteString("type", "string");
        Values(w, "enum", values);
        w.WriteString("description", doc);
        w.WriteEndObject();
    }

    private static void StrList(Utf8JsonWriter w, string name, string doc, params string[] examples) =>
        Items(w, name, doc, () =>
        {
            w.WriteString("type", "string");
            Examples(w, examples);
        });

    private static void StringMap(Utf8JsonWriter w, string name, string doc, IReadOnlyList<MetadataKey> known)
    {
        Open(w, name, "object", doc);
        if (known.Count > 0)
        {
            Child(w, "properties", () =>
            {
                foreach (var key in known)
                {
                    Str(w, key.Key, key.Doc, key.Examples);
                }
            });
        }

        Child(w, "additionalProperties", () => w.WriteString("type", "string"));
        w.WriteEndObject();
    }

    private static void Bool(Utf8JsonWriter w, string name, string doc) => TextOr(w, name, "boolean", OptionSpec.BooleanPattern, doc);

    private static void Int(Utf8JsonWriter w, string name, string doc) => TextOr(w, name, "integer", OptionSpec.IntegerPattern, doc);

    /// <summary>
    /// A value JSON may write as <paramref name="type"/> or as text (configuration turns both into text), the text
    /// checked by <paramref name="pattern"/>.
    /// </summary>
    private static void TextOr(Utf8JsonWriter w, string name, string type, string pattern, string doc)
    {
        w.WriteStartObject(name);
        Values(w, "type", [type, "string"]);
        w.WriteString("pattern", pattern);
        w.WriteString("description", doc);
        w.WriteEndObject();
    }

    private static void Duration(Utf8JsonWriter w, string name, string doc)
    {
        w.WriteStartObject(name);
        w.WriteString("type", "string");
        w.WriteString("pattern", OptionSpec.DurationPattern);
        w.WriteString("description", doc + " A TimeSpan such as 00:00:05.");
        w.WriteEndObject();
    }

    /// <summary>Starts a property's schema with its type and description; the caller adds the rest and ends it.</summary>
    private static void Open(Utf8JsonWriter w, string name, string type, string doc)
    {
        w.WriteStartObject(name);
        w.WriteString("type", type);
        w.WriteString("description", doc);
    }

    private static void Child(Utf8JsonWriter w, string name, Action body)
    {
        w.WriteStartObject(name);
        body();
        w.WriteEndObject();
    }

    private static void Values(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var value in values)
        {
            w.WriteStringValue(value);
        }

        w.WriteEndArray();
    }

    private static void Examples(Utf8JsonWriter w, string[] examples)
    {
        if (examples.Length > 0)
        {
            Values(w, "examples", examples);
        }
    }

    private static void TransformValue(Utf8JsonWriter w, string name)
    {
        w.WriteStartObject(name);
        TransformValueType(w);
        w.WriteEndObject();
    }

    private static void TransformValueType(Utf8JsonWriter w)
    {
        // Transform values are strings to YARP; a JSON file may write true or a number, which configuration turns into text.
        Values(w, "type", ["string", "boolean", "number"]);
    }

    private sealed class Node
    {
        public Dictionary<string, Node> Children { get; } = new(StringComparer.OrdinalIgnoreCase);

        public OptionSpec? Option { get; set; }

        public string? Doc { get; set; }

        public Node Child(string segment)
        {
            if (!Children.TryGetValue(segment, out var node))
            {
                node = new Node();
                Children[segment] = node;
            }

            return node;
        }
    }
}
