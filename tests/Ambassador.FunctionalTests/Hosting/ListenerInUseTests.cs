using System.Net;
using System.Net.Sockets;
using Ambassador.Hosting;

namespace Ambassador.FunctionalTests.Hosting;

/// <summary>
/// A listener address another process already holds: the start ends with one line naming the key and exit code 1,
/// not an unhandled exception (which aborts the process with a stack trace).
/// </summary>
public sealed class ListenerInUseTests
{
    private const string Config = """
        { "ReverseProxy": { "Routes": { "r": { "ClusterId": "c", "Match": { "Path": "/{**all}" } } },
          "Clusters": { "c": { "Destinations": { "d1": { "Address": "http://127.0.0.1:1/" } } } } } }
        """;

    [Theory]
    [InlineData("Proxy")]
    [InlineData("Admin")]
    public async Task Start_ListenerPortTaken_Exits1NamingTheKey(string key)
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var taken = $"http://127.0.0.1:{((IPEndPoint)holder.LocalEndpoint).Port}";
        var path = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + ".json");
        await File.WriteAllTextAsync(path, Config);
        try
        {
            using var stdout = new StringWriter();
            using var stderr = new StringWriter();
            var proxy = key == "Proxy" ? taken : "http://127.0.0.1:0";
            var admin = key == "Admin" ? taken : "http://127.0.0.1:0";

            var exitCode = await AmbassadorHost.RunAsync(
                ["--config", path, $"--Ambassador:Listeners:Proxy={proxy}", $"--Ambassador:Listeners:Admin={admin}"], stdout, stderr);

            Assert.Equal(AmbassadorHost.ListenerInUseExitCode, exitCode);
            Assert.Equal(
                $"Ambassador:Listeners:{key}: '{taken}' is already in use by another process; stop that process or configure a free address",
                stderr.ToString().Trim());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void DescribeAddressInUse_MessageWithoutAKnownAddress_StillNamesTheSection()
    {
        var line = ServeCommand.DescribeAddressInUse("Failed to bind: address already in use.", new ListenerOptions());

        Assert.Equal("Ambassador:Listeners: Failed to bind: address already in use; stop the process that holds the address or configure a free one", line);
    }
}
