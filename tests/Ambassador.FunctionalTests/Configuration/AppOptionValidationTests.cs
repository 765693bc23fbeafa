using Ambassador.Configuration;

namespace Ambassador.FunctionalTests.Configuration;

/// <summary>
/// Bad values of the options for the app beside the sidecar (<c>Ambassador:App</c>, <c>Ambassador:Registration</c>,
/// the Unix-socket listener, <c>Ambassador:Admin</c>) are configuration errors with exact messages.
/// </summary>
public sealed class AppOptionValidationTests
{
    private static string With(string ambassador) => $$"""
        { "Ambassador": { {{ambassador}} }, "ReverseProxy": { "Routes": {}, "Clusters": {} } }
        """;

    private const string App = """ "App": { "Address": "http://127.0.0.1:8080", "HealthPath": "/health" } """;

    public static TheoryData<string, string[]> BadValues => new()
    {
        { """ "App": { "HealthPath": "/health" } """, ["Ambassador:App:Address: is required when the Ambassador:App section is present; use an absolute http or https URL without a path, e.g. http://127.0.0.1:8080"] },
        { """ "App": { "Address": "127.0.0.1:8080" } """, ["Ambassador:App:Address: '127.0.0.1:8080' is not an absolute http(s) URL without a path; use an absolute http or https URL without a path, e.g. http://127.0.0.1:8080"] },
        { """ "App": { "Address": "http://127.0.0.1:8080/app" } """, ["Ambassador:App:Address: 'http://127.0.0.1:8080/app' is not an absolute http(s) URL without a path; use an absolute http or https URL without a path, e.g. http://127.0.0.1:8080"] },
        { """ "App": { "Address": "http://127.0.0.1:8080", "HealthPath": "health" } """, ["Ambassador:App:HealthPath: 'health' is not an absolute path; use an absolute path, e.g. /health"] },
        { """ "App": { "Address": "http://127.0.0.1:8080", "ReadinessGate": "yes" } """, ["Ambassador:App:ReadinessGate: 'yes' is not a boolean; use true or false"] },
        { """ "App": { "Address": "http://127.0.0.1:8080", "Health": { "Interval": "2s" } } """, ["Ambassador:App:Health:Interval: '2s' is not a duration; use a TimeSpan from 00:00:00.010 to 01:00:00, e.g. 00:00:02"] },
        { """ "App": { "Address": "http://127.0.0.1:8080", "Health": { "Interval": "00:00:00" } } """, ["Ambassador:App:Health:Interval: '00:00:00' is out of range; use a TimeSpan from 00:00:00.010 to 01:00:00, e.g. 00:00:02"] },
        { """ "App": { "Address": "http://127.0.0.1:8080", "Health": { "Timeout": "-00:00:01" } } """, ["Ambassador:App:Health:Timeout: '-00:00:01' is out of range; use a TimeSpan from 00:00:00.010 to 01:00:00, e.g. 00:00:01"] },
        { """ "App": { "Address": "http://127.0.0.1:8080", "Health": { "Timeout": "00:00:05" } } """, ["Ambassador:App:Health:Timeout: '00:00:05' is longer than Ambassador:App:Health:Interval (00:00:02); use a timeout no longer than the interval"] },
        { """ "App": { "Address": "http://127.0.0.1:8080", "Health": { "UnhealthyThreshold": 0 } } """, ["Ambassador:App:Health:UnhealthyThreshold: '0' is out of range; use an integer from 1 to 100"] },
        { """ "App": { "Address": "http://127.0.0.1:8080", "Health": { "HealthyThreshold": "one" } } """, ["Ambassador:App:Health:HealthyThreshold: 'one' is not an integer; use an integer from 1 to 100"] },
        { """ "App": { "Address": "http://127.0.0.1:8080", "Helth": { } } """, ["Ambassador:App:Helth: unknown key; did you mean 'Health'?"] },
        { """ "Registration": { "Consul": { "Port": 8080 } }, "Discovery": { "Consul": { "Address": "http://127.0.0.1:8500" } } """, ["Ambassador:Registration:Consul:ServiceName: is required when Ambassador:Registration:Consul is present; use letters, digits and dashes, e.g. inventory"] },
        { """ "Registration": { "Consul": { "ServiceName": "inv entory", "Port": 8080 } }, "Discovery": { "Consul": { "Address": "http://127.0.0.1:8500" } } """, ["Ambassador:Registration:Consul:ServiceName: 'inv entory' is not a valid service name; use letters, digits and dashes, e.g. inventory"] },
        { """ "Registration": { "Consul": { "ServiceName": "inventory", "ServiceId": "a/b", "Port": 8080 } }, "Discovery": { "Consul": { "Address": "http://127.0.0.1:8500" } } """, ["Ambassador:Registration:Consul:ServiceId: 'a/b' is not a valid service id; use letters, digits, dashes and dots without '/' or spaces, e.g. inventory-1"] },
        { """ "Registration": { "Consul": { "ServiceName": "inventory", "Address": "http://10.0.0.5:80", "Port": 8080 } }, "Discovery": { "Consul": { "Address": "http://127.0.0.1:8500" } } """, ["Ambassador:Registration:Consul:Address: 'http://10.0.0.5:80' is not a host name or IP address; use a host name or IP address without scheme or port, e.g. 10.0.0.5 or inventory-1.internal"] },
        { """ "Registration": { "Consul": { "ServiceName": "inventory", "Port": 70000 } }, "Discovery": { "Consul": { "Address": "http://127.0.0.1:8500" } } """, ["Ambassador:Registration:Consul:Port: '70000' is out of range; use an integer from 1 to 65535, e.g. 8080"] },
        { """ "Registration": { "Consul": { "ServiceName": "inventory", "Port": 8080, "Tags": [ "" ] } }, "Discovery": { "Consul": { "Address": "http://127.0.0.1:8500" } } """, ["Ambassador:Registration:Consul:Tags:0: is empty; a tag is a non-empty string, e.g. primary"] },
        { """ "Registration": { "Consul": { "ServiceName": "inventory", "Port": 8080, "Meta": { "bad.key": "x" } } }, "Discovery": { "Consul": { "Address": "http://127.0.0.1:8500" } } """, ["Ambassador:Registration:Consul:Meta:bad.key: is not a valid Consul metadata key; use up to 128 letters, digits, '-' and '_', e.g. version"] },
        { """ "Registration": { "Consul": { "ServiceName": "inventory", "Port": 8080, "Check": { "Type": "tcp" } } }, "Discovery": { "Consul": { "Address": "http://127.0.0.1:8500" } } """, ["Ambassador:Registration:Consul:Check:Type: 'tcp' is not a check type; use ttl or http"] },
        { """ "Registration": { "Consul": { "ServiceName": "inventory", "Port": 8080, "Check": { "Interval": "00:00:10" } } }, "Discovery": { "Consul": { "Address": "http://127.0.0.1:8500" } } """, ["Ambassador:Registration:Consul:Check:Interval: applies only to Check:Type http; remove it; a ttl check's TTL is 3 × Ambassador:App:Health:Interval"] },
        { """ "App": { "Address": "http://127.0.0.1:8080", "HealthPath": "/health" }, "Registration": { "Consul": { "ServiceName": "inventory", "Check": { "Type": "http", "Interval": "10s" } } }, "Discovery": { "Consul": { "Address": "http://127.0.0.1:8500" } } """, ["Ambassador:Registration:Consul:Check:Interval: '10s' is not a duration; use a TimeSpan from 00:00:01 to 01:00:00, e.g. 00:00:10"] },
        { """ "App": { "Address": "http://127.0.0.1:8080", "HealthPath": "/health" }, "Registration": { "Consul": { "ServiceName": "inventory", "Check": { "Type": "http", "Timeout": "00:00:00.100" } } }, "Discovery": { "Consul": { "Address": "http://127.0.0.1:8500" } } """, ["Ambassador:Registration:Consul:Check:Timeout: '00:00:00.100' is out of range; use a TimeSpan from 00:00:01 to 01:00:00, e.g. 00:00:05"] },
        { """ "Registration": { "Consul": { "ServiceName": "inventory", "Port": 8080, "Check": { "DeregisterCriticalServiceAfter": "00:00:30" } } }, "Discovery": { "Consul": { "Address": "http://127.0.0.1:8500" } } """, ["Ambassador:Registration:Consul:Check:DeregisterCriticalServiceAfter: '00:00:30' is out of range; use a TimeSpan from 00:01:00 to 7.00:00:00, e.g. 00:01:00"] },
        { """ "Registration": { "Consul": { "ServiceName": "inventory", "Port": 8080 } } """, ["Ambassador:Discovery:Consul:Address: is required by Ambassador:Registration:Consul; the Consul agent address, e.g. http://127.0.0.1:8500"] },
        { """ "Registration": { "Consul": { "ServiceName": "inventory" } }, "Discovery": { "Consul": { "Address": "http://127.0.0.1:8500" } } """, ["Ambassador:Registration:Consul:Port: is required when neither Ambassador:App:Address nor the inbound TLS listener is set; use an integer from 1 to 65535, e.g. 8080"] },
        { """ "App": { "Address": "http://127.0.0.1:8080" }, "Registration": { "Consul": { "ServiceName": "inventory", "Check": { "Type": "http" } } }, "Discovery": { "Consul": { "Address": "http://127.0.0.1:8500" } } """, ["Ambassador:Registration:Consul:Check:Type: 'http' needs Ambassador:App:HealthPath (the path Consul probes); set it or use ttl"] },
        { """ "Listeners": { "ProxyUnixSocket": "run/proxy.sock" } """, ["Ambassador:Listeners:ProxyUnixSocket: 'run/proxy.sock' is not an absolute path; use an absolute path of at most 107 bytes, e.g. /run/ambassador/proxy.sock"] },
        { """ "Listeners": { "ProxyUnixSocket": "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock" } """, ["Ambassador:Listeners:ProxyUnixSocket: '/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock' is 126 bytes long; use an absolute path of at most 107 bytes, e.g. /run/ambassador/proxy.sock"] },
        { """ "Listeners": { "ProxyUnixSocket": "/run/ambassador/proxy.sock", "ProxyUnixSocketMode": "0800" } """, ["Ambassador:Listeners:ProxyUnixSocketMode: '0800' is not an octal file mode; use an octal file mode, e.g. 0600 (owner only) or 0660 (owner and group)"] },
        { """ "Listeners": { "ProxyUnixSocketMode": "rw" } """, ["Ambassador:Listeners:ProxyUnixSocketMode: 'rw' is not an octal file mode; use an octal file mode, e.g. 0600 (owner only) or 0660 (owner and group)"] },
        { """ "Admin": { "ShutdownEnabled": "sometimes" } """, ["Ambassador:Admin:ShutdownEnabled: 'sometimes' is not a boolean; use true or false"] },
        { """ "Admin": { "Shutdown": true } """, ["Ambassador:Admin:Shutdown: unknown key; allowed here: ShutdownEnabled"] },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void Validate_BadValue_ReportsExactMessageAndExits2(string ambassador, string[] expected)
    {
        var (exitCode, stderr) = RunValidate(With(ambassador));

        Assert.Equal(expected, stderr);
        Assert.Equal(2, exitCode);
    }

    [Theory]
    [InlineData(App)]
    [InlineData(App + """, "Discovery": { "Consul": { "Address": "http://127.0.0.1:8500" } }, "Registration": { "Consul": { "ServiceName": "inventory", "Tags": [ "primary" ], "Meta": { "version": "1" }, "Check": { "Type": "http", "Interval": "00:00:10", "Timeout": "00:00:02", "DeregisterCriticalServiceAfter": "00:05:00" } } } """)]
    [InlineData(""" "Listeners": { "ProxyUnixSocket": "/run/ambassador/proxy.sock", "ProxyUnixSocketMode": "660" }, "Admin": { "ShutdownEnabled": true } """)]
    [InlineData(""" "App": { "Address": "http://127.0.0.1:8080", "HealthPath": "/healthz", "ReadinessGate": true, "Health": { "Interval": "00:00:05", "Timeout": "00:00:02", "UnhealthyThreshold": 3, "HealthyThreshold": 2 } } """)]
    public void Validate_GoodValues_Exits0(string ambassador)
    {
        var (exitCode, stderr) = RunValidate(With(ambassador));

        Assert.Empty(stderr);
        Assert.Equal(0, exitCode);
    }

    internal static (int ExitCode, string[] Stderr) RunValidate(string json)
    {
        var path = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, json);
        try
        {
            using var stdout = new StringWriter();
            using var stderr = new StringWriter();
            var exitCode = ValidateCommand.Run([path], stdout, stderr);
            return (exitCode, stderr.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
