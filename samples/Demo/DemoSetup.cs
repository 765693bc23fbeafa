using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace Demo;

/// <summary>Where the apps are, which ports they get, and the ambassador configuration the demo generates.</summary>
internal sealed class DemoSetup
{
    private DemoSetup(string dotnet, IReadOnlyDictionary<string, string> apps, string workDirectory, int[] ports)
    {
        Dotnet = dotnet;
        Apps = apps;
        WorkDirectory = workDirectory;
        InventoryAPort = ports[0];
        InventoryBPort = ports[1];
        ProxyPort = ports[2];
        AdminPort = ports[3];
        OrderPort = ports[4];
    }

    public string Dotnet { get; }

    /// <summary>App name (Ambassador, InventoryService, OrderService) to the dll built with the demo.</summary>
    public IReadOnlyDictionary<string, string> Apps { get; }

    /// <summary>A fresh temporary folder: the generated config lives here, and it is each app's working directory.</summary>
    public string WorkDirectory { get; }

    public int InventoryAPort { get; }

    public int InventoryBPort { get; }

    public int ProxyPort { get; }

    public int AdminPort { get; }

    public int OrderPort { get; }

    public string ConfigPath => Path.Combine(WorkDirectory, "ambassador.json");

    public Uri Order => Loopback(OrderPort);

    public Uri Admin => Loopback(AdminPort);

    public Uri Proxy => Loopback(ProxyPort);

    public Uri InventoryA => Loopback(InventoryAPort);

    public Uri InventoryB => Loopback(InventoryBPort);

    public static DemoSetup Create()
    {
        var apps = typeof(DemoSetup).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Where(a => a.Key.StartsWith("DemoApp:", StringComparison.Ordinal) && a.Value is not null)
            .ToDictionary(a => a.Key["DemoApp:".Length..], a => a.Value!, StringComparer.Ordinal);
        var workDirectory = Path.Combine(Path.GetTempPath(), $"ambassador-demo-{Environment.ProcessId}");
        Directory.CreateDirectory(workDirectory);
        return new DemoSetup(FindDotnet(), apps, workDirectory, FreeLoopbackPorts(5));
    }

    public string? MissingApp()
    {
        foreach (var name in new[] { "Ambassador", "InventoryService", "OrderService" })
        {
            if (!Apps.TryGetValue(name, out var path) || !File.Exists(path))
            {
                return name;
            }
        }

        return null;
    }

    /// <summary>
    /// The ambassador's configuration: one route <c>/inventory/**</c> to a cluster of the two inventory instances
    /// (static discovery) and, when this build of Ambassador knows them, a resilience policy (retries to the other
    /// instance, per-instance breakers, timeouts under the app's 3 s in this demo); without one, YARP's active health checks.
    /// </summary>
    public string AmbassadorConfig(bool withPolicies)
    {
        var policies = withPolicies
            ? """
              ,
                  "Policies": {
                    "default": {
                      "Retry": { "MaxRetries": 2, "BaseDelay": "00:00:00.020", "MaxDelay": "00:00:00.200" },
                      "CircuitBreaker": { "FailureRatio": 0.5, "MinimumThroughput": 3, "SamplingDuration": "00:00:05", "BreakDuration": "00:00:03" },
                      "Timeout": { "PerTry": "00:00:01", "Total": "00:00:02.500" }
                    }
                  }
              """
            : string.Empty;
        // With a policy, the ambassador's own per-instance breakers take a failing instance out of rotation (and a
        // half-open probe brings it back); without one, YARP's active health checks do (probing every 0.5 s and acting
        // on the first failure: aggressive, so the effect shows within the demo's few seconds).
        var healthChecks = withPolicies
            ? """
                                  "HealthCheck": { "Passive": { "Enabled": true } },
              """
            : """
                                  "Metadata": { "ConsecutiveFailuresHealthPolicy.Threshold": "1" },
                                  "HealthCheck": {
                                    "Active": { "Enabled": true, "Interval": "00:00:00.500", "Timeout": "00:00:00.500", "Policy": "ConsecutiveFailures", "Path": "/health" },
                                    "Passive": { "Enabled": true }
                                  },
              """;
        return $$"""
            {
              "Logging": { "LogLevel": { "Default": "Warning", "Microsoft.Hosting.Lifetime": "Information" } },
              "Ambassador": {
                "Listeners": { "Proxy": "{{Origin(ProxyPort)}}", "Admin": "{{Origin(AdminPort)}}" }{{policies}}
              },
              "ReverseProxy": {
                "Routes": {
                  "inventory": { "ClusterId": "{{DemoConstants.ClusterId}}", "Match": { "Path": "/inventory/{**rest}" } }
                },
                "Clusters": {
                  "{{DemoConstants.ClusterId}}": {
                    "LoadBalancingPolicy": "RoundRobin",
                    {{healthChecks}}
                    "Destinations": {
                      "{{DemoConstants.InventoryA}}": { "Address": "{{Origin(InventoryAPort)}}" },
                      "{{DemoConstants.InventoryB}}": { "Address": "{{Origin(InventoryBPort)}}" }
                    }
                  }
                }
              }
            }
            """;
    }

    public void Delete()
    {
        try
        {
            Directory.Delete(WorkDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary><c>http://127.0.0.1:port</c>, the form listener and destination addresses take.</summary>
    public static string Origin(int port) => $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";

    private static Uri Loopback(int port) => new(Origin(port) + "/");

    // The same dotnet that runs the demo (dotnet run starts the demo's apphost, so the muxer is found via the runtime).
    private static string FindDotnet()
    {
        var hostPath = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(hostPath) && File.Exists(hostPath))
        {
            return hostPath;
        }

        var runtimeDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location);
        if (runtimeDirectory is not null)
        {
            var root = Path.GetFullPath(Path.Combine(runtimeDirectory, "..", "..", ".."));
            var muxer = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
            if (File.Exists(muxer))
            {
                return muxer;
            }
        }

        return "dotnet";
    }

    // All listeners are held open until every port is picked, so the ports differ.
    internal static int[] FreeLoopbackPorts(int count)
    {
        var listeners = new List<TcpListener>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                listeners.Add(listener);
            }

            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Stop();
                listener.Dispose();
            }
        }
    }
}
