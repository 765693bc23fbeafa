using System.Diagnostics;
using Ambassador.Policies;
using Ambassador.Policies.Budget;
using Ambassador.Policies.CircuitBreaker;
using Ambassador.Policies.Proxy;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;

namespace Ambassador.Benchmarks;

internal static class Pieces
{
    public static async Task RunAsync()
    {
        const int n = 200_000;
        var budget = new RetryBudget(TimeProvider.System);
        var policy = new ResolvedPolicy("p", new PolicyOptions(), TimeProvider.System);
        var breaker = new DestinationBreaker("c", "d", new CircuitBreakerPolicyOptions(), TimeProvider.System, null);
        var ok = Outcome.FromResult(new AttemptResult(AttemptKind.Response, 200, false));
        for (var round = 0; round < 3; round++)
        {
            var w = Stopwatch.StartNew();
            for (var i = 0; i < n; i++) { budget.RecordRequest(); }
            Report("budget.RecordRequest", w, n);

            w.Restart();
            for (var i = 0; i < n; i++)
            {
                var ctx = ResilienceContextPool.Shared.Get(CancellationToken.None);
                await policy.Retrying!.ExecuteOutcomeAsync(static (_, o) => ValueTask.FromResult(o), ctx, ok);
                ResilienceContextPool.Shared.Return(ctx);
            }

            Report("retry pipeline (attempt loop)", w, n);

            w.Restart();
            for (var i = 0; i < n; i++)
            {
                var ctx = ResilienceContextPool.Shared.Get(CancellationToken.None);
                await breaker.ReportAsync(ok, ctx);
                ResilienceContextPool.Shared.Return(ctx);
            }

            Report("breaker report (closed)", w, n);

            w.Restart();
            for (var i = 0; i < n; i++) { _ = breaker.Admits(); }
            Report("breaker.Admits", w, n);
        }

        await Task.CompletedTask;
    }

    private static void Report(string name, Stopwatch w, int n) => Console.WriteLine($"{name,-40} {w.Elapsed.TotalMicroseconds * 1000 / n,8:0} ns");
}
