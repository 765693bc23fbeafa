using System.Diagnostics.Metrics;
using Ambassador.FunctionalTests.Infrastructure;
using Ambassador.Policies;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Ambassador.FunctionalTests.Grpc;

/// <summary>A gRPC UNAVAILABLE (trailers-only, HTTP 200) counts against its destination like an HTTP 503.</summary>
public sealed class GrpcBreakerTests
{
    [Fact]
    public async Task DestinationAnsweringUnavailable_EjectedAfterConsecutiveFailures_TrafficGoesToHealthyOne()
    {
        await using var failing = await GrpcUpstream.StartAsync("a");
        failing.State.ForcedStatus = StatusCode.Unavailable;
        await using var healthy = await GrpcUpstream.StartAsync("b");
        var settings = GrpcUpstream.Settings([failing, healthy], new Dictionary<string, string?>
        {
            // No retries, so every UNAVAILABLE reaches the client until the breaker takes "a" out; only the streak
            // rule can open it (the ratio rule needs far more traffic).
            ["Ambassador:Policies:default:Retry:MaxRetries"] = "0",
            ["Ambassador:Policies:default:CircuitBreaker:ConsecutiveFailures"] = "3",
            ["Ambassador:Policies:default:CircuitBreaker:MinimumThroughput"] = "10000",
            ["Ambassador:Policies:default:CircuitBreaker:BreakDuration"] = "00:01:00",
        });
        // FirstAlphabetical: every call goes to "a" while its breaker admits it.
        settings["ReverseProxy:Clusters:echo:LoadBalancingPolicy"] = "FirstAlphabetical";
        await using var amb = await TestAmbassador.StartAsync(settings);
        using var attempts = new AttemptOutcomes(amb.Services);
        var breakers = amb.GetRequiredService<IBreakerStateSource>();
        using var channel = GrpcUpstream.Channel(amb.ProxyAddress);
        var client = new Echo.EchoClient(channel);

        for (var i = 0; i < 3; i++)
        {
            var error = await Assert.ThrowsAsync<RpcException>(() => client.UnaryAsync(new EchoRequest { Text = "x" }).ResponseAsync);
            Assert.Equal(StatusCode.Unavailable, error.StatusCode);
            Assert.Equal("instance a is failing", error.Status.Detail);
        }

        // The breaker counts an attempt once it has ended, which may be a moment after the client has its answer.
        await Poll.UntilAsync(() => breakers.GetState("echo", "a") == BreakerState.Open, TimeSpan.FromSeconds(5), "a's breaker opened");
        for (var i = 0; i < 10; i++)
        {
            var reply = await client.UnaryAsync(new EchoRequest { Text = $"call {i}" });
            Assert.Equal("b", reply.Instance);
        }

        Assert.Equal(3, failing.State.Calls);
        Assert.Equal(10, healthy.State.Calls);
        await Poll.UntilAsync(() => attempts.Count("success") == 10, TimeSpan.FromSeconds(5), "10 successful attempts counted");
        Assert.Equal(3, attempts.Count("server_error"));
    }

    [Fact]
    public async Task DestinationAnsweringNotFound_NotEjected()
    {
        await using var upstream = await GrpcUpstream.StartAsync("a");
        upstream.State.ForcedStatus = StatusCode.NotFound;
        await using var amb = await TestAmbassador.StartAsync(GrpcUpstream.Settings([upstream], new Dictionary<string, string?>
        {
            ["Ambassador:Policies:default:Retry:MaxRetries"] = "0",
            ["Ambassador:Policies:default:CircuitBreaker:ConsecutiveFailures"] = "3",
        }));
        using var attempts = new AttemptOutcomes(amb.Services);
        using var channel = GrpcUpstream.Channel(amb.ProxyAddress);
        var client = new Echo.EchoClient(channel);

        // A service's own answer (here NOT_FOUND) is the call's result, not the instance failing.
        for (var i = 0; i < 5; i++)
        {
            var error = await Assert.ThrowsAsync<RpcException>(() => client.UnaryAsync(new EchoRequest()).ResponseAsync);
            Assert.Equal(StatusCode.NotFound, error.StatusCode);
        }

        await Poll.UntilAsync(() => attempts.Count("success") == 5, TimeSpan.FromSeconds(5), "5 successful attempts counted");
        Assert.Equal(BreakerState.Closed, amb.GetRequiredService<IBreakerStateSource>().GetState("echo", "a"));
        Assert.Equal(5, upstream.State.Calls);
        Assert.Equal(0, attempts.Count("server_error"));
    }

    /// <summary>Counts <c>ambassador.upstream.attempts</c> of one host by its <c>outcome</c> label.</summary>
    private sealed class AttemptOutcomes : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Dictionary<string, long> _counts = [];

        public AttemptOutcomes(IServiceProvider services)
        {
            var factory = services.GetRequiredService<IMeterFactory>();
            _listener.InstrumentPublished = (i, l) =>
            {
                if (i.Name == "ambassador.upstream.attempts" && ReferenceEquals(i.Meter.Scope, factory))
                {
                    l.EnableMeasurementEvents(i);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "outcome" && tag.Value is string outcome)
                    {
                        lock (_counts)
                        {
                            _counts[outcome] = _counts.GetValueOrDefault(outcome) + value;
                        }
                    }
                }
            });
            _listener.Start();
        }

        public long Count(string outcome)
        {
            lock (_counts)
            {
                return _counts.GetValueOrDefault(outcome);
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}
