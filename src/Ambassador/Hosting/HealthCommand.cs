namespace Ambassador.Hosting;

/// <summary>
/// <c>Ambassador health [--admin URL]</c>: asks a running Ambassador's <c>/healthz</c> and exits 0 when it
/// answers 200, 1 otherwise. Used as the container HEALTHCHECK, where curl does not exist.
/// </summary>
internal static class HealthCommand
{
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var admin = Environment.GetEnvironmentVariable("Ambassador__Listeners__Admin");
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--admin" && i + 1 < args.Length)
            {
                admin = args[++i];
            }
        }

        var address = ListenerAddress.Parse(admin ?? HostOptionTable.Admin.Default) ?? ListenerAddress.Parse(HostOptionTable.Admin.Default)!;
        var host = address.IsLocalhost || address.Address!.Equals(System.Net.IPAddress.Any) ? "127.0.0.1" : address.Host;
        var url = new Uri($"http://{host}:{address.Port}/healthz");
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using var response = await client.GetAsync(url).ConfigureAwait(false);
            await stdout.WriteLineAsync($"{url}: {(int)response.StatusCode}").ConfigureAwait(false);
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            await stderr.WriteLineAsync($"{url}: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
    }
}
