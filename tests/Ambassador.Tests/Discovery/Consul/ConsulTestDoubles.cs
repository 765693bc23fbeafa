using System.Collections.Concurrent;
using System.Threading.Channels;
using Ambassador.Discovery.Consul;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Ambassador.Tests.Discovery.Consul;

/// <summary>A Consul stand-in: each query is answered by <see cref="Responder"/>, and every index sent is recorded.</summary>
internal sealed class FakeConsulClient : IConsulHealthClient
{
    public ConcurrentQueue<long> SentIndexes { get; } = new();

    public Func<long, ConsulQueryResult> Responder { get; set; } = _ => new ConsulQueryResult([], 1);

    public int Calls => SentIndexes.Count;

    public Task<ConsulQueryResult> QueryAsync(ConsulOptions options, string service, long index, CancellationToken cancellationToken)
    {
        SentIndexes.Enqueue(index);
        return Task.FromResult(Responder(index));
    }

    public static ConsulServiceEntry Entry(string address, int port, string nodeAddress = "10.9.9.9", string status = "passing") => new()
    {
        Node = new ConsulNode { Name = "node", Address = nodeAddress },
        Service = new ConsulAgentService { Id = $"svc-{port}", Name = "inventory", Address = address, Port = port },
        Checks = [new ConsulHealthCheck { CheckId = "serfHealth", Status = status }],
    };
}

/// <summary>
/// A <see cref="FakeTimeProvider"/> that reports every timer it creates: the watcher creates one exactly when it
/// parks in a delay, which is the moment a test may advance time.
/// </summary>
internal sealed class ObservedFakeTime : TimeProvider
{
    private readonly Channel<TimeSpan> _timers = Channel.CreateUnbounded<TimeSpan>();

    public FakeTimeProvider Fake { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public override DateTimeOffset GetUtcNow() => Fake.GetUtcNow();

    public override long GetTimestamp() => Fake.GetTimestamp();

    public override long TimestampFrequency => Fake.TimestampFrequency;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = Fake.CreateTimer(callback, state, dueTime, period);
        _timers.Writer.TryWrite(dueTime);
        return timer;
    }

    /// <summary>Waits (real time, bounded) until the watcher parks in its next delay and returns that delay.</summary>
    public async Task<TimeSpan> NextDelayAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await _timers.Reader.ReadAsync(cts.Token);
    }
}

/// <summary>Collects formatted log lines.</summary>
internal sealed class ListLogger : ILogger
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Lines { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Lines.Enqueue((logLevel, formatter(state, exception)));
}
