using System.Diagnostics;
using System.Reflection;

namespace Ambassador.FunctionalTests.SampleApps;

/// <summary>The README's main command (<c>dotnet run --project samples/Demo</c>), run as the built demo.</summary>
public sealed class DemoTests
{
    [Fact]
    public async Task Demo_Run_EndsByItselfAndLeavesNoProcessBehind()
    {
        var demoDll = typeof(DemoTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "DemoDll").Value!;
        Assert.True(File.Exists(demoDll), $"{demoDll} was not built");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        info.ArgumentList.Add(demoDll);
        using var demo = Process.Start(info)!;
        var stdout = demo.StandardOutput.ReadToEndAsync();
        var stderr = demo.StandardError.ReadToEndAsync();

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await demo.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            demo.Kill(entireProcessTree: true);
            Assert.Fail($"The demo did not end within 3 minutes. Output so far:\n{await stdout}");
        }

        var output = await stdout;
        Assert.True(demo.ExitCode == 0, $"exit {demo.ExitCode}\n{output}\n{await stderr}");
        Assert.Contains("Phase 3. inventory-b is stopped", output, StringComparison.Ordinal);
        Assert.Contains("Without its sidecar the app degraded gracefully", output, StringComparison.Ordinal);
        var stopped = System.Text.RegularExpressions.Regex.Match(output, @"Stopped the 4 processes the demo started \(pids ([0-9, ]+)\); none is left running\.");
        Assert.True(stopped.Success, output);
        foreach (var pid in stopped.Groups[1].Value.Split(", ").Select(int.Parse))
        {
            Assert.False(IsRunning(pid), $"process {pid} started by the demo is still running");
        }

        // Phase 1 has nothing failing: every order must succeed there, whatever features this build has.
        Assert.Matches(@"1\. both inventory instances healthy\s*\|\s*20\s*\|\s*20\s*\|\s*0\s", output);

        // The instances registered by their sidecars, one deregistered by SIGTERM mid-traffic: no order may fail.
        Assert.Matches(@"2b\. registered in Consul by their sidecars; inventory-b's sidecar gets SIGTERM\s*\|\s*20\s*\|\s*20\s*\|\s*0\s", output);
        Assert.Matches(@"SIGTERM -> deregistration from Consul: \d+ ms .*the sidecar exited with code 0", output);
        Assert.Contains("Phase 2b stopped the 4 processes it started and its Consul stand-in.", output, StringComparison.Ordinal);
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
