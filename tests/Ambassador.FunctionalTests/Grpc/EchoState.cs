using Grpc.Core;

namespace Ambassador.FunctionalTests.Grpc;

/// <summary>What one gRPC test upstream instance observed, and how it is told to misbehave.</summary>
public sealed class EchoState(string instance)
{
    private int _calls;
    private int _cancelled;
    private int _started;

    public string Instance { get; } = instance;

    /// <summary>When set, every call fails with this status before it sends a message (a trailers-only answer).</summary>
    public StatusCode? ForcedStatus { get; set; }

    /// <summary>What the health check reports.</summary>
    public bool Healthy { get; set; } = true;

    /// <summary>Calls that reached a service method.</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Calls that began waiting to be cancelled.</summary>
    public int Started => Volatile.Read(ref _started);

    /// <summary>Calls whose cancellation the service observed.</summary>
    public int Cancelled => Volatile.Read(ref _cancelled);

    /// <summary>The grpc-timeout header of the latest call ("" when it had none).</summary>
    public string LastGrpcTimeout { get; private set; } = string.Empty;

    internal void OnCall(ServerCallContext context)
    {
        Interlocked.Increment(ref _calls);
        LastGrpcTimeout = EchoService.GrpcTimeoutOf(context);
    }

    internal async Task HangAsync(ServerCallContext context)
    {
        Interlocked.Increment(ref _started);
        try
        {
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        }
        catch (OperationCanceledException)
        {
            Interlocked.Increment(ref _cancelled);
            throw;
        }
    }
}
