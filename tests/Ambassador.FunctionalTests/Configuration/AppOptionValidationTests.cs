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
        { """ "App": { "HealthPath": "/health" } """, ["Ambassador:App:Address: is required when the Ambassador:App section is present; an absolute http URL such as http://127.0.0.1:8080"] },
        { """ "App": { "Address": "127.0.0.1:8080" } """, ["Ambassador:App:Address: '127.0.0.1:8080' is not an absolute http(s) URL without a path; use e.g. http://127.0.0.1:8080"] },
        { """ "App": { "Address": "http://127.0.0.1:8080/app" } """, ["Ambassador:App:Address: 'http://127.0.0.1:8080/app' is not an absolute http(s) URL without a path; use e.g. http://127.0.0.1:8080"] },
        { """ "App": { "Address": "http://127.0.0.1:8080", "HealthPath": "health" } """, ["Ambassador:App:HealthPath: 'health' is not an absolute path; use e.g. /health"] },
        { """ "App": { "Address": "http://127.0.0.1:8080", "ReadinessGate": "yes" } """, ["Ambassador:App:ReadinessGate: 'yes' is not a boolean; use true or false"] },
        { """ "App": { "Address": "http://127.0.0.1:8080", "Health": { "Interval": "2s" } } """, ["Ambassador:App:Health:Interval: '2s' is not a duration; use a TimeSpan such as \"00:00:02\""] },
        { """ "App": { "Address": "http://127.0.0.1:8080", "Health": { "Interval": "00:00:00" } } """, ["Ambassador:App:Health:Interval: '00:00:00' is out of range; use a duration from 00:00:00.010 to 01:00:00"] },
        { """ "App": { "Address": "http://127.0.0.1:8080", "Health": { "Timeout": "-00:00:01" } } """, ["Ambassador:App:Health:Timeout: '-00:00:01' is out of range; use a duration from 00:00:00.010 to 01:00:00"] },
        { """ "App": { "Address": "http://127.0.0.1:8080", "Health": { "Timeout": "00:00:05" } } """, ["Ambassador:App:Health:Timeout: '00:00:05' is longer than Ambassador:App:Health:Interval (00:00:02); use a timeout no longer than the interval"] },
        { """ "App": { "Address": "http://127.0.0.1:8080", "Health": { "UnhealthyThreshold": 0 } } """, ["Ambassador:App:Health:UnhealthyThreshold: '0' is not a whole number from 1 to 100; e.g. 2"] },
        { """ "App": { "Address": "http://127.0.0.1:8080", "Health": { "HealthyThreshold": "one" } } """, ["Ambassador:App:Health:HealthyThreshold: 'one' is not a whole number from 1 to 100; e.g. 1"] },
        { """ "App": { "Address": "http://127.0.0.1:8080", "Helth": { } } """, ["Ambassador:App:Helth: unknown key (a typo?); see the configuration reference in README.md"] },
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
