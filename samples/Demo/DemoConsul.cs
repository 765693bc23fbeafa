using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Demo;

/// <summary>Something the Consul stand-in was told, with when (a <see cref="Stopwatch"/> timestamp).</summary>
internal sealed record ConsulEvent(long Timestamp, string What, string ServiceId);

/// <summary>
/// A stand-in for a Consul agent, in the demo's own process, so the demo needs neither Docker nor a Consul binary. It
/// keeps the catalog the way an agent does for the endpoints Ambassador uses: <c>PUT /v1/agent/service/register</c>
/// adds (or replaces) an instance, <c>PUT /v1/agent/service/deregister/:id</c> removes it,
/// <c>PUT /v1/agent/check/pass|warn|fail/:id</c> sets its TTL check, <c>GET /v1/agent/service/:id</c> answers 404 for
/// an unknown id, and <c>GET /v1/health/service/:name</c> lists what is registered (only passing instances with
/// <c>passing</c>), as a blocking query: a request whose <c>index</c> is current is held until the catalog changes or
/// its <c>wait</c> elapses. Not modelled: TTL expiry, nodes, datacenters, ACLs.
/// </summary>
internal sealed class DemoConsul : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Instance> _instances = new(StringComparer.Ordinal);
    private readonly List<ConsulEvent> _events = [];
    private readonly CancellationTokenSource _stopping = new();
    private long _index = 1;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private DemoConsul(WebApplication app)
    {
        _app = app;
    }

    public static async Task<DemoConsul> StartAsync(int port, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(DemoSetup.Origin(port));
        var consul = new DemoConsul(builder.Build());
        consul.Map();
        await consul._app.StartAsync(cancellationToken);
        return consul;
    }

    /// <summary>The ids registered now.</summary>
    public IReadOnlyList<string> Registered()
    {
        lock (_lock)
        {
            return [.. _instances.Keys.Order(StringComparer.Ordinal)];
        }
    }

    /// <summary>What the agent was told so far, in order.</summary>
    public IReadOnlyList<ConsulEvent> Events()
    {
        lock (_lock)
        {
            return [.. _events];
        }
    }

    private void Map()
    {
        _app.MapPut("/v1/agent/service/register", RegisterAsync);
        _app.MapPut("/v1/agent/service/deregister/{id}", (HttpContext context) => Deregister(context, (string)context.Request.RouteValues["id"]!));
        _app.MapPut("/v1/agent/check/{verb}/{**checkId}", (HttpContext context) =>
            UpdateCheck(context, (string)context.Request.RouteValues["verb"]!, Uri.UnescapeDataString((string)context.Request.RouteValues["checkId"]!)));
        _app.MapGet("/v1/agent/service/{id}", (HttpContext context) => ServiceAsync(context, (string)context.Request.RouteValues["id"]!));
        _app.MapGet("/v1/health/service/{name}", (HttpContext context) => HealthAsync(context, (string)context.Request.RouteValues["name"]!));
    }

    private async Task RegisterAsync(HttpContext context)
    {
        var body = JsonNode.Parse(await new StreamReader(context.Request.Body).ReadToEndAsync(context.RequestAborted))?.AsObject();
        var id = body?["ID"]?.GetValue<string>();
        var name = body?["Name"]?.GetValue<string>();
        if (body is null || string.IsNullOrEmpty(id) || string.IsNullOrEmpty(name))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        var check = body["Check"]?.AsObject();
        // Consul starts a TTL check critical unless the registration gives its status.
        var instance = new Instance(id, name, body["Address"]?.GetValue<string>() ?? string.Empty, body["Port"]?.GetValue<int>() ?? 0,
            check?["CheckID"]?.GetValue<string>() ?? "service:" + id, check?["Status"]?.GetValue<string>() ?? "critical");
        Change(() => _instances[id] = instance, new ConsulEvent(Stopwatch.GetTimestamp(), "register", id));
    }

    private IResult Deregister(HttpContext context, string id)
    {
        _ = context;
        bool known;
        lock (_lock)
        {
            known = _instances.ContainsKey(id);
        }

        if (!known)
        {
            return Results.NotFound($"Unknown service ID \"{id}\"");
        }

        Change(() => _instances.Remove(id), new ConsulEvent(Stopwatch.GetTimestamp(), "deregister", id));
        return Results.Ok();
    }

    private IResult UpdateCheck(HttpContext context, string verb, string checkId)
    {
        _ = context;
        var status = verb switch { "pass" => "passing", "warn" => "warning", "fail" => "critical", _ => null };
        if (status is null)
        {
            return Results.NotFound();
        }

        Instance? instance;
        lock (_lock)
        {
            instance = _instances.Values.FirstOrDefault(i => i.CheckId == checkId);
        }

        if (instance is null)
        {
            return Results.NotFound($"Unknown check ID \"{checkId}\"");
        }

        // Only a change of status changes what a blocking query sees, as in Consul.
        if (instance.Status != status)
        {
            Change(() => _instances[instance.Id] = instance with { Status = status }, new ConsulEvent(Stopwatch.GetTimestamp(), verb, instance.Id));
        }

        return Results.Ok();
    }

    private async Task ServiceAsync(HttpContext context, string id)
    {
        Instance? instance;
        lock (_lock)
        {
            instance = _instances.GetValueOrDefault(id);
        }

        if (instance is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            await context.Response.WriteAsync($"unknown service ID: {id}", context.RequestAborted);
            return;
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(new JsonObject
        {
            ["ID"] = instance.Id,
            ["Service"] = instance.Name,
            ["Address"] = instance.Address,
            ["Port"] = instance.Port,
        }.ToJsonString(), context.RequestAborted);
    }

    private async Task HealthAsync(HttpContext context, string name)
    {
        Task changed;
        long index;
        lock (_lock)
        {
            changed = _changed.Task;
            index = _index;
        }

        if (long.TryParse(context.Request.Query["index"], CultureInfo.InvariantCulture, out var seen) && seen >= index)
        {
            using var held = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
            // WhenAny never throws: a cancelled delay (client gone, demo ending) just answers now.
            await Task.WhenAny(changed, Task.Delay(ParseWait(context.Request.Query["wait"]), held.Token));
        }

        var passingOnly = context.Request.Query.ContainsKey("passing");
        var entries = new JsonArray();
        lock (_lock)
        {
            index = _index;
            foreach (var instance in _instances.Values.Where(i => i.Name == name && (!passingOnly || i.Status == "passing")).OrderBy(i => i.Id, StringComparer.Ordinal))
            {
                entries.Add(new JsonObject
                {
                    ["Node"] = new JsonObject { ["Node"] = "demo", ["Address"] = "127.0.0.1", ["Datacenter"] = "dc1" },
                    ["Service"] = new JsonObject { ["ID"] = instance.Id, ["Service"] = instance.Name, ["Address"] = instance.Address, ["Port"] = instance.Port, ["Tags"] = new JsonArray() },
                    ["Checks"] = new JsonArray(new JsonObject { ["CheckID"] = instance.CheckId, ["ServiceID"] = instance.Id, ["Status"] = instance.Status }),
                });
            }
        }

        context.Response.ContentType = "application/json";
        context.Response.Headers["X-Consul-Index"] = index.ToString(CultureInfo.InvariantCulture);
        await context.Response.WriteAsync(entries.ToJsonString(), context.RequestAborted);
    }

    private void Change(Action change, ConsulEvent what)
    {
        TaskCompletionSource released;
        lock (_lock)
        {
            change();
            _events.Add(what);
            _index++;
            released = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        released.TrySetResult();
    }

    // Consul's wait is a Go duration; Ambassador sends whole seconds ("10s") or milliseconds ("1500ms").
    private static TimeSpan ParseWait(string? wait)
    {
        if (string.IsNullOrEmpty(wait))
        {
            return TimeSpan.FromMinutes(5);
        }

        var (digits, unit) = wait.EndsWith("ms", StringComparison.Ordinal) ? (wait[..^2], 1.0)
            : wait.EndsWith('s') ? (wait[..^1], 1000.0)
            : wait.EndsWith('m') ? (wait[..^1], 60_000.0)
            : (wait, 1000.0);
        return double.TryParse(digits, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? TimeSpan.FromMilliseconds(Math.Min(value * unit, TimeSpan.FromMinutes(10).TotalMilliseconds))
            : TimeSpan.FromMinutes(5);
    }

    public async ValueTask DisposeAsync()
    {
        // Held blocking queries end now rather than at their wait: the demo must end promptly.
        await _stopping.CancelAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _app.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
        }

        await _app.DisposeAsync();
        _stopping.Dispose();
    }

    private sealed record Instance(string Id, string Name, string Address, int Port, string CheckId, string Status);
}
