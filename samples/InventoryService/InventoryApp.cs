using Microsoft.AspNetCore.Http.HttpResults;

namespace InventoryService;

/// <summary>
/// Composition root of the inventory sample: an upstream that Ambassador load-balances over. It carries no
/// service-discovery code: its own sidecar ambassador registers it in Consul, probes its <c>/health</c> and
/// deregisters it on stop, so a Go, Node or Java service would need nothing either.
/// Program.cs and the functional tests build the app through <see cref="Build"/>, so both run the same code.
/// </summary>
public static class InventoryApp
{
    /// <summary>Builds the inventory web application (not started).</summary>
    /// <param name="args">Command-line arguments, e.g. <c>--urls=http://127.0.0.1:5001</c>.</param>
    /// <param name="configure">Optional last-minute changes to the builder (tests use it).</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        SampleCommon.SampleDefaults.Apply(builder.Configuration, "http://127.0.0.1:5001");
        builder.Services.ConfigureHttpJsonOptions(
            options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, InventoryJsonContext.Default));
        builder.Services.AddProblemDetails();
        builder.Services.Configure<InventoryOptions>(builder.Configuration.GetSection(InventoryOptions.SectionName));
        builder.Services.AddSingleton<FailureSwitch>();
        builder.Services.AddSingleton<InstanceIdentity>();
        configure?.Invoke(builder);

        var app = builder.Build();
        MapEndpoints(app);
        return app;
    }

    private static void MapEndpoints(WebApplication app)
    {
        app.MapGet("/inventory/items/{sku}", Results<Ok<InventoryItem>, ProblemHttpResult> (
            string sku, HttpContext context, FailureSwitch failure, InstanceIdentity identity) =>
        {
            var instance = identity.Name;
            context.Response.Headers[InventoryConstants.ServedByHeader] = instance;
            if (failure.IsFailing)
            {
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status503ServiceUnavailable,
                    title: "Inventory instance is failing on purpose",
                    detail: $"Instance '{instance}' was told to fail (POST /admin/fail); DELETE /admin/fail heals it.");
            }

            if (!IsValidSku(sku))
            {
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status400BadRequest,
                    title: "Invalid SKU",
                    detail: "A SKU is 1 to 64 letters, digits or dashes.");
            }

            return TypedResults.Ok(new InventoryItem(sku, QuantityOf(sku), instance));
        });

        app.MapGet("/health", Results<Ok<HealthReport>, JsonHttpResult<HealthReport>> (FailureSwitch failure, InstanceIdentity identity) =>
            failure.IsFailing
                ? TypedResults.Json(new HealthReport("failing", identity.Name), InventoryJsonContext.Default.HealthReport, statusCode: StatusCodes.Status503ServiceUnavailable)
                : TypedResults.Ok(new HealthReport("ok", identity.Name)));

        // Failure injection for demos and tests. Loopback-only by default (the default --urls is loopback);
        // do not expose these sample endpoints on a real network.
        app.MapPost("/admin/fail", (FailureSwitch failure, InstanceIdentity identity) =>
        {
            failure.IsFailing = true;
            return TypedResults.Ok(new HealthReport("failing", identity.Name));
        });
        app.MapDelete("/admin/fail", (FailureSwitch failure, InstanceIdentity identity) =>
        {
            failure.IsFailing = false;
            return TypedResults.Ok(new HealthReport("ok", identity.Name));
        });
    }

    private static bool IsValidSku(string sku) =>
        sku.Length is > 0 and <= 64 && sku.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');

    // Stable across instances and runs (string.GetHashCode is randomised per process).
    private static int QuantityOf(string sku)
    {
        var sum = 0;
        foreach (var c in sku)
        {
            sum = ((sum * 31) + c) % 1000;
        }

        return sum % 100;
    }
}
