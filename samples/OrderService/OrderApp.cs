using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace OrderService;

/// <summary>
/// Composition root of the order sample, the "main app" beside an Ambassador sidecar.
/// Program.cs and the functional tests build the app through <see cref="Build"/>.
/// </summary>
public static class OrderApp
{
    /// <summary>Builds the order web application (not started).</summary>
    /// <param name="args">Command-line arguments, e.g. <c>--urls=http://127.0.0.1:8080 --Ambassador:BaseAddress=http://127.0.0.1:3000</c>.</param>
    /// <param name="configure">Optional last-minute changes to the builder (tests use it).</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        SampleCommon.SampleDefaults.Apply(builder.Configuration, "http://127.0.0.1:8080");
        builder.Services.ConfigureHttpJsonOptions(
            options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, OrderJsonContext.Default));
        builder.Services.AddProblemDetails();
        builder.Services.Configure<AmbassadorClientOptions>(builder.Configuration.GetSection(AmbassadorClientOptions.SectionName));

        // The one line an app needs: a typed client whose base address is the sidecar.
        builder.Services.AddHttpClient<InventoryClient>((services, client) =>
            {
                var sidecar = services.GetRequiredService<IOptions<AmbassadorClientOptions>>().Value;
                client.BaseAddress = sidecar.BaseAddress;
                client.Timeout = sidecar.Timeout;
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { ConnectTimeout = AmbassadorClientConstants.ConnectTimeout });

        builder.Services.AddHttpClient(AmbassadorClientConstants.AdminClientName, client => client.Timeout = AmbassadorClientConstants.HealthProbeTimeout)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { ConnectTimeout = AmbassadorClientConstants.ConnectTimeout });
        builder.Services.AddHealthChecks().AddCheck<SidecarHealthCheck>("ambassador");
        configure?.Invoke(builder);

        var app = builder.Build();
        MapEndpoints(app);
        return app;
    }

    private static void MapEndpoints(WebApplication app)
    {
        app.MapGet("/orders/{sku}", async Task<Results<Ok<OrderQuote>, ProblemHttpResult>> (
            string sku, InventoryClient inventory, CancellationToken cancellationToken) =>
        {
            var lookup = await inventory.GetItemAsync(sku, cancellationToken);
            return lookup switch
            {
                InventoryLookup.Found found => TypedResults.Ok(
                    new OrderQuote(found.Item.Sku, found.Item.Quantity, found.Item.Quantity > 0, found.Item.Instance)),
                InventoryLookup.Rejected rejected => TypedResults.Problem(
                    statusCode: StatusCodes.Status400BadRequest, title: "Invalid SKU", detail: rejected.Detail),
                InventoryLookup.Unavailable unavailable => TypedResults.Problem(
                    statusCode: StatusCodes.Status503ServiceUnavailable,
                    title: "Inventory is unavailable, try again shortly",
                    detail: unavailable.Detail,
                    extensions: new Dictionary<string, object?> { ["reason"] = unavailable.Reason }),
                _ => throw new InvalidOperationException("Unknown lookup outcome."),
            };
        });

        // Liveness of the app process alone (never restart the app because its sidecar is down).
        app.MapGet("/alive", () => TypedResults.Ok(new HealthAnswer("Healthy", Sidecar: null)));

        // Readiness: this app can serve only when its sidecar is ready.
        app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = WriteHealthAsync });
    }

    private static Task WriteHealthAsync(HttpContext context, HealthReport report)
    {
        var sidecar = report.Entries.TryGetValue("ambassador", out var entry) ? entry.Description : null;
        context.Response.ContentType = "application/json; charset=utf-8";
        return JsonSerializer.SerializeAsync(
            context.Response.Body, new HealthAnswer(report.Status.ToString(), sidecar), OrderJsonContext.Default.HealthAnswer, context.RequestAborted);
    }
}
