using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Ambassador.FunctionalTests.App;
using Ambassador.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Ambassador.FunctionalTests.Registration;

/// <summary>The sidecar registers its app in Consul (WireMock speaking the agent API) through the real host.</summary>
public sealed class ConsulRegistrationTests(ITestOutputHelper output)
{
    private const string Token = "s3cr3t-agent-token";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private static string Config(TestApp app, ConsulAgentStub consul, string registration, string health = """ "Interval": "00:00:00.200", "Timeout": "00:00:00.200" """) => $$"""
        {
          "Ambassador": {
            "App": { "Address": "{{app.Uri.GetLeftPart(UriPartial.Authority)}}", "HealthPath": "/health", "Health": { {{health}} } },
            "Discovery": { "Consul": { "Address": "{{consul.Url}}", "Token": "{{Token}}" } },
            "Registration": { "Consul": { {{registration}} } }
          },
          "ReverseProxy": {
            "Routes": { "r": { "ClusterId": "c", "Match": { "Path": "/{**all}" } } },
            "Clusters": { "c": { "Destinations": { "d1": { "Address": "{{app.Address}}" } } } }
          }
        }
        """;

    private static int Count(ConsulAgentStub consul, string path) => consul.Requests.Count(r => r.Path == path);

    [Fact]
    public async Task Register_HealthyApp_PutsExactTtlPayloadWithTokenNeverLogged()
    {
        await using var app = await TestApp.StartAsync();
        using var consul = new ConsulAgentStub();
        await using var amb = await TestAmbassador.StartAsync(Config(app, consul, """
            "ServiceName": "inventory", "Tags": [ "primary", "v2" ], "Meta": { "version": "1.4.2", "zone": "a" },
            "Check": { "DeregisterCriticalServiceAfter": "00:01:30" }
            """));

        await Poll.UntilAsync(() => consul.CheckUpdates.Count > 0, Deadline, "the app is registered and its TTL updated");
        var register = Assert.Single(consul.Requests, r => r.Path == "/v1/agent/service/register");
        var port = app.Uri.Port;
        Assert.Equal("PUT", register.Method);
        Assert.Equal(
            $$$"""{"ID":"inventory-127.0.0.1-{{{port}}}","Name":"inventory","Tags":["primary","v2"],"Address":"127.0.0.1","Port":{{{port}}},"Meta":{"version":"1.4.2","zone":"a"},"Check":{"CheckID":"service:inventory-127.0.0.1-{{{port}}}","Name":"Ambassador app health","TTL":"600ms","Status":"passing","DeregisterCriticalServiceAfter":"1m30s"}}""",
            register.Body);
        var update = consul.CheckUpdates[0];
        Assert.Equal($"/v1/agent/check/pass/service:inventory-127.0.0.1-{port}", Uri.UnescapeDataString(update.Path));
        Assert.StartsWith("healthy: GET ", update.Note, StringComparison.Ordinal);
        Assert.All(consul.Requests, r => Assert.Equal(Token, r.Token));
        Assert.Contains(consul.Requests, r => r.Method == "GET" && r.Path == $"/v1/agent/service/inventory-127.0.0.1-{port}");

        var view = JsonDocument.Parse(await amb.AdminClient.GetStringAsync("/admin/app")).RootElement.GetProperty("registrations")[0];
        Assert.Equal("consul", view.GetProperty("registry").GetString());
        Assert.Equal($"inventory-127.0.0.1-{port}", view.GetProperty("serviceId").GetString());
        Assert.Equal("registered", view.GetProperty("state").GetString());
        Assert.Equal("passing", view.GetProperty("check").GetString());
        Assert.DoesNotContain(Token, amb.Logs.All, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, await amb.AdminClient.GetStringAsync("/admin/config"), StringComparison.Ordinal);
        Assert.True(amb.Logs.Contains($"Registered service 'inventory' as 'inventory-127.0.0.1-{port}' at '127.0.0.1':{port} in Consul (check 600ms)"), amb.Logs.All);
    }

    [Fact]
    public async Task Register_HttpCheck_PutsExactPayloadWithGoDurations()
    {
        await using var app = await TestApp.StartAsync();
        using var consul = new ConsulAgentStub();
        await using var amb = await TestAmbassador.StartAsync(Config(app, consul, """
            "ServiceName": "inventory", "ServiceId": "inventory-1", "Address": "10.0.0.5", "Port": 8443,
            "Check": { "Type": "http", "Interval": "00:00:15", "Timeout": "00:00:02.500" }
            """));

        await Poll.UntilAsync(() => Count(consul, "/v1/agent/service/register") > 0, Deadline, "the app is registered");
        Assert.Equal(
            """{"ID":"inventory-1","Name":"inventory","Tags":[],"Address":"10.0.0.5","Port":8443,"Meta":{},"Check":{"CheckID":"service:inventory-1","Name":"Ambassador app health","HTTP":"http://10.0.0.5:8443/health","Interval":"15s","Timeout":"2s500ms","DeregisterCriticalServiceAfter":"1m"}}""",
            consul.Requests.First(r => r.Path == "/v1/agent/service/register").Body);
        await Poll.UntilAsync(() => consul.Requests.Any(r => r.Path == "/v1/agent/service/inventory-1"), Deadline, "the registration is checked");
        Assert.Empty(consul.CheckUpdates);
    }

    [Fact]
    public async Task Ttl_FollowsAppHealthWithHysteresis_AndRegistrationWaitsForHealthyApp()
    {
        await using var app = await TestApp.StartAsync();
        app.HealthStatus = 503;
        using var consul = new ConsulAgentStub();
        await using var amb = await TestAmbassador.StartAsync(Config(app, consul, """ "ServiceName": "inventory" """,
            """ "Interval": "00:00:00.100", "Timeout": "00:00:00.100", "UnhealthyThreshold": 3 """));

        await Poll.UntilAsync(() => app.Probes.Count >= 3, Deadline, "the unhealthy app is probed");
        Assert.Equal(0, Count(consul, "/v1/agent/service/register"));

        app.HealthStatus = 200;
        await Poll.UntilAsync(() => consul.CheckUpdates.Any(u => u.Path.Contains("/pass/", StringComparison.Ordinal)), Deadline, "registered once healthy, TTL passing");
        Assert.Equal(1, Count(consul, "/v1/agent/service/register"));

        var failingSince = DateTime.UtcNow;
        app.HealthStatus = 503;
        await Poll.UntilAsync(() => consul.CheckUpdates.Any(u => u.Path.Contains("/fail/", StringComparison.Ordinal)), Deadline, "the TTL check fails once the app is unhealthy");
        var firstFail = consul.CheckUpdates.First(u => u.Path.Contains("/fail/", StringComparison.Ordinal));
        var failedProbesBefore = app.Probes.Count(p => p.Status == 503 && p.At >= failingSince && p.At <= firstFail.At);
        Assert.True(failedProbesBefore >= 3, $"the check failed after {failedProbesBefore} failed probes; UnhealthyThreshold is 3");
        Assert.Contains(consul.CheckUpdates, u => u.At > failingSince && u.At < firstFail.At && u.Path.Contains("/pass/", StringComparison.Ordinal)
            && u.Note!.Contains("HTTP 503", StringComparison.Ordinal));
        Assert.StartsWith("unhealthy: GET ", firstFail.Note, StringComparison.Ordinal);

        app.HealthStatus = 200;
        await Poll.UntilAsync(() => consul.CheckUpdates.Any(u => u.At > firstFail.At && u.Path.Contains("/pass/", StringComparison.Ordinal)), Deadline, "the TTL passes again");
        Assert.Equal(1, Count(consul, "/v1/agent/service/register"));
    }

    [Fact]
    public async Task AgentForgetsService_GetAnswers404_RegistersAgain()
    {
        await using var app = await TestApp.StartAsync();
        using var consul = new ConsulAgentStub();
        await using var amb = await TestAmbassador.StartAsync(Config(app, consul, """ "ServiceName": "inventory" """));
        await Poll.UntilAsync(() => consul.Services.Count == 1, Deadline, "registered");

        consul.Forget();

        await Poll.UntilAsync(() => Count(consul, "/v1/agent/service/register") == 2 && consul.Services.Count == 1, Deadline, "registered again after the agent forgot it");
        Assert.True(amb.Logs.Contains($"Consul no longer knows service 'inventory' ('inventory-127.0.0.1-{app.Uri.Port}', agent restarted?); registering it again"), amb.Logs.All);
    }

    [Fact]
    public async Task ConsulDownAtStart_ThenUp_RegistersAndProxyServesMeanwhile_LoggedOncePerStateChange()
    {
        await using var app = await TestApp.StartAsync();
        using var consul = new ConsulAgentStub(start: false);
        // Each retry is a Debug line (the Warning is written once per state change): counting them shows the retries.
        var config = Config(app, consul, """ "ServiceName": "inventory" """)
            .Replace("\"Ambassador\": {", "\"Logging\": { \"LogLevel\": { \"Ambassador.Registration\": \"Debug\" } }, \"Ambassador\": {", StringComparison.Ordinal);
        await using var amb = await TestAmbassador.StartAsync(config);

        await Poll.UntilAsync(() => amb.Logs.Lines.Count(l => l.Contains("Consul registration retry in", StringComparison.Ordinal)) >= 2, Deadline, "two failed attempts");
        Assert.Equal("from app", await amb.ProxyClient.GetStringAsync("/x"));
        consul.Start();

        await Poll.UntilAsync(() => consul.Services.Count == 1, TimeSpan.FromSeconds(20), "registered once Consul is up");
        await Poll.UntilAsync(() => amb.Logs.Contains("Consul registration working again"), Deadline, "the recovery is logged");
        Assert.Single(amb.Logs.Lines, l => l.Contains("Consul registration failing, retrying with back-off: Consul agent is unreachable", StringComparison.Ordinal));
        Assert.Single(amb.Logs.Lines, l => l.Contains("Consul registration working again", StringComparison.Ordinal));
        Assert.DoesNotContain(Token, amb.Logs.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sigterm_DeregistersFirst_ThenPreStopDelay_ThenListenersStop_ExitCode0()
    {
        await using var app = await TestApp.StartAsync();
        using var consul = new ConsulAgentStub();
        await using var amb = await AmbassadorProcess.StartServingAsync(Config(app, consul, """ "ServiceName": "inventory" """)
            .Replace("\"Ambassador\": {", "\"Ambassador\": { \"Lifecycle\": { \"PreStopDelay\": \"00:00:01\" },", StringComparison.Ordinal));
        await Poll.UntilAsync(() => consul.Services.Count == 1, Deadline, "registered");

        var signalledAt = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        amb.Signal("TERM");
        await Poll.UntilAsync(() => consul.Services.Count == 0, TimeSpan.FromSeconds(5), "deregistered on SIGTERM");
        var acceptingAfterDeregistration = amb.ProxyAcceptsConnections();
        await Poll.UntilAsync(() => !amb.ProxyAcceptsConnections(), TimeSpan.FromSeconds(5), "the listener stops");
        var listenerClosedAt = DateTime.UtcNow;

        var deregistration = consul.Requests.Single(r => r.Path.StartsWith("/v1/agent/service/deregister/", StringComparison.Ordinal));
        var toDeregistration = deregistration.At - signalledAt;
        output.WriteLine($"SIGTERM -> deregistration: {toDeregistration.TotalMilliseconds:0} ms; SIGTERM -> listener closed: {(listenerClosedAt - signalledAt).TotalMilliseconds:0} ms");
        Assert.Equal($"/v1/agent/service/deregister/inventory-127.0.0.1-{app.Uri.Port}", deregistration.Path);
        Assert.Equal(Token, deregistration.Token);
        Assert.True(acceptingAfterDeregistration, "the proxy listener still accepted when the deregistration arrived");
        Assert.True(deregistration.At < listenerClosedAt - TimeSpan.FromSeconds(0.9), "the pre-stop delay runs after the deregistration");
        Assert.True(toDeregistration < TimeSpan.FromSeconds(1), $"deregistration took {toDeregistration}");
        Assert.Equal(0, await amb.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        Assert.DoesNotContain(Token, amb.Stdout + amb.Stderr, StringComparison.Ordinal);
        Assert.True(clock.Elapsed > TimeSpan.FromSeconds(1));
    }
}
