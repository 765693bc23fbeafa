using System.Collections;
using System.Net;
using System.Reflection;
using System.Security;
using System.Text;
using System.Text.RegularExpressions;
using Ambassador.FunctionalTests.Infrastructure;
using Ambassador.Hosting;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace Ambassador.FunctionalTests.Hosting;

/// <summary>
/// Keeps <c>src/Ambassador/Hosting/PregeneratedTypes.rd.xml</c> true. Native AOT compiles only the generic types it can
/// see; the service container closes open generic registrations (<c>IOptionsMonitor&lt;&gt;</c>, <c>ILogger&lt;&gt;</c>,
/// <c>IEnumerable&lt;&gt;</c>, service arrays) at run time, and each one the compiler did not see is built by the AOT
/// type loader while the host starts. The file names them so that the compiler emits them. This test is also the
/// generator: it starts the real host with the benchmark's all-policies configuration, proxies one request, reads the
/// closed types the container realized and compares them with the file. Regenerate with
/// <c>AMBASSADOR_WRITE_PREGENERATED_TYPES=1 dotnet test tests/Ambassador.FunctionalTests --filter PregeneratedTypes</c>.
/// </summary>
public sealed partial class PregeneratedTypesTests
{
    private const string FilePath = "src/Ambassador/Hosting/PregeneratedTypes.rd.xml";
    private const string WriteVariable = "AMBASSADOR_WRITE_PREGENERATED_TYPES";

    [Fact]
    public async Task RdXml_NamesEveryClosedGenericTypeTheContainerBuildsForTheFullConfiguration()
    {
        using var upstream = Upstreams.StartWireMock();
        upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody("up"));
        var root = RepoRoot();
        var config = (await File.ReadAllTextAsync(Path.Combine(root, "bench/conf/ambassador-full.json")))
            .Replace("http://127.0.0.1:$upstream_port/", upstream.Address().ToString(), StringComparison.Ordinal);
        await using var amb = await TestAmbassador.StartAsync(config);
        Assert.Equal(HttpStatusCode.OK, (await amb.ProxyClient.GetAsync("/")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await amb.AdminClient.GetAsync("/metrics")).StatusCode);

        var realized = ContainerTypes(amb.Services);
        Assert.Contains(realized, t => t.Name.StartsWith("Microsoft.Extensions.Options.OptionsMonitor`1[[Ambassador.", StringComparison.Ordinal));

        var path = Path.Combine(root, FilePath);
        var expected = Render(realized);
        if (Environment.GetEnvironmentVariable(WriteVariable) == "1")
        {
            await File.WriteAllTextAsync(path, expected);
        }

        var committed = NamesIn(await File.ReadAllTextAsync(path));
        var missing = realized.Where(t => !committed.Contains((t.Assembly, t.Name))).Select(t => $"{t.Assembly}: {t.Name}").ToList();
        Assert.True(missing.Count == 0,
            $"{FilePath} misses {missing.Count} type(s) the container builds at run time; regenerate it with {WriteVariable}=1 "
            + $"(see this test's summary). Missing:\n{string.Join('\n', missing)}");
    }

    /// <summary>
    /// The closed generic and array types in the container's call sites. The container does not expose them, so this
    /// reads its call-site cache by reflection (test code, JIT only); a container version that renames it fails here.
    /// </summary>
    private static List<(string Assembly, string Name)> ContainerTypes(IServiceProvider services)
    {
        const BindingFlags Any = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance;
        var factory = services.GetType().GetProperty("CallSiteFactory", Any)?.GetValue(services)
            ?? throw new InvalidOperationException("the service provider has no CallSiteFactory: the container changed");
        var cache = factory.GetType().GetField("_callSiteCache", Any)?.GetValue(factory) as IDictionary
            ?? throw new InvalidOperationException("the call-site factory has no _callSiteCache: the container changed");

        var allowed = AmbassadorAssemblies();
        var found = new HashSet<Type>();
        var visited = new HashSet<object>(ReferenceEqualityComparer.Instance);
        foreach (DictionaryEntry entry in cache)
        {
            Visit(entry.Value, found, visited);
        }

        return [.. found
            .Where(t => Closure(t).All(a => allowed.Contains(a)))
            .Select(t => (Element(t).Assembly.GetName().Name!, NameOf(t)))
            .Distinct()
            .Order()];

        static void Visit(object? callSite, HashSet<Type> found, HashSet<object> visited)
        {
            if (callSite is null || !visited.Add(callSite))
            {
                return;
            }

            var type = callSite.GetType();
            foreach (var name in new[] { "ServiceType", "ImplementationType" })
            {
                if (type.GetProperty(name, Any)?.GetValue(callSite) is Type t && (t.IsConstructedGenericType || t.IsArray))
                {
                    found.Add(t);
                }
            }

            if (type.GetProperty("ItemType", Any)?.GetValue(callSite) is Type item)
            {
                found.Add(item.MakeArrayType());
            }

            foreach (var name in new[] { "ParameterCallSites", "ServiceCallSites" })
            {
                if (type.GetProperty(name, Any)?.GetValue(callSite) is Array children)
                {
                    foreach (var child in children)
                    {
                        Visit(child, found, visited);
                    }
                }
            }
        }
    }

    // Ambassador's own assemblies and what they reference: a type from a test assembly cannot be compiled into the binary.
    private static HashSet<string> AmbassadorAssemblies()
    {
        var names = new HashSet<string>(StringComparer.Ordinal) { "System.Private.CoreLib" };
        var pending = new Stack<AssemblyName>([typeof(AmbassadorHost).Assembly.GetName()]);
        while (pending.TryPop(out var name))
        {
            if (!names.Add(name.Name!))
            {
                continue;
            }

            foreach (var reference in Assembly.Load(name).GetReferencedAssemblies())
            {
                pending.Push(reference);
            }
        }

        return names;
    }

    private static IEnumerable<string> Closure(Type type)
    {
        var element = Element(type);
        yield return element.Assembly.GetName().Name!;
        if (element.IsConstructedGenericType)
        {
            foreach (var argument in element.GetGenericArguments().SelectMany(Closure))
            {
                yield return argument;
            }
        }
    }

    private static Type Element(Type type) => type.IsArray ? Element(type.GetElementType()!) : type;

    // The name as the AOT compiler's directives parser reads it: assembly-qualified arguments without version details.
    private static string NameOf(Type type) => VersionDetails().Replace(type.FullName!, string.Empty);

    private static string Render(List<(string Assembly, string Name)> types)
    {
        var text = new StringBuilder()
            .AppendLine("<!-- Generated by PregeneratedTypesTests (tests/Ambassador.FunctionalTests/Hosting): the closed generic types the")
            .AppendLine("     service container builds at run time for the full configuration, compiled in by Native AOT. Do not edit. -->")
            .AppendLine("<Directives xmlns=\"http://schemas.microsoft.com/netfx/2013/01/metadata\">")
            .AppendLine("  <Application>");
        foreach (var group in types.GroupBy(t => t.Assembly))
        {
            text.AppendLine($"    <Assembly Name=\"{group.Key}\">");
            foreach (var (_, name) in group)
            {
                text.AppendLine($"      <Type Name=\"{SecurityElement.Escape(name)}\" Dynamic=\"Required All\" />");
            }

            text.AppendLine("    </Assembly>");
        }

        return text.AppendLine("  </Application>").AppendLine("</Directives>").ToString().ReplaceLineEndings("\n");
    }

    private static HashSet<(string Assembly, string Name)> NamesIn(string rdXml)
    {
        var document = System.Xml.Linq.XDocument.Parse(rdXml);
        return [.. document.Descendants().Where(e => e.Name.LocalName == "Type")
            .Select(e => ((string)e.Parent!.Attribute("Name")!, (string)e.Attribute("Name")!))];
    }

    private static string RepoRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Ambassador.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Ambassador.slnx not found above the test's directory");
    }

    [GeneratedRegex(@", Version=[^,\]]+, Culture=[^,\]]+, PublicKeyToken=[^,\]]+")]
    private static partial Regex VersionDetails();
}
