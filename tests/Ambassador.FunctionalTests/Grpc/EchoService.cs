using Google.Protobuf;
using Grpc.Core;

namespace Ambassador.FunctionalTests.Grpc;

/// <summary>The test service: echoes, streams, fails or hangs as each request asks.</summary>
internal sealed class EchoService(EchoState state) : Echo.EchoBase
{
    /// <summary>Request metadata echoed back as a response header and as a trailer (binary values too).</summary>
    public const string EchoHeader = "x-echo-bin";
    public const string TextTrailer = "x-trailer";
    public const string BinaryTrailer = "x-trailer-bin";

    public override async Task<EchoReply> Unary(EchoRequest request, ServerCallContext context)
    {
        Begin(context);
        if (context.RequestHeaders.Get(EchoHeader) is { } echo)
        {
            await context.WriteResponseHeadersAsync(new Metadata { { EchoHeader, echo.ValueBytes } });
            context.ResponseTrailers.Add(TextTrailer, "trailer value");
            context.ResponseTrailers.Add(BinaryTrailer, echo.ValueBytes);
        }

        await ActAsync(request, context);
        return Reply(request.Text, 0, request.Payload.Length, context);
    }

    public override async Task ServerStream(StreamRequest request, IServerStreamWriter<EchoReply> responseStream, ServerCallContext context)
    {
        Begin(context);
        for (var i = 0; i < request.Count; i++)
        {
            await responseStream.WriteAsync(Reply($"message {i}", i, 0, context), context.CancellationToken);
        }

        if (request.FailCode != 0)
        {
            throw new RpcException(new Status((StatusCode)request.FailCode, $"failed after {request.Count}"));
        }

        if (request.HangAfter)
        {
            await state.HangAsync(context);
        }
    }

    public override async Task<EchoReply> ClientStream(IAsyncStreamReader<EchoRequest> requestStream, ServerCallContext context)
    {
        state.OnCall(context);
        var count = 0;
        long bytes = 0;
        var texts = new List<string>();
        await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken))
        {
            count++;
            bytes += request.Payload.Length;
            texts.Add(request.Text);
        }

        // A failing instance answers once it has read the whole body, so the proxy has streamed it all.
        Fail();
        return Reply(string.Join(",", texts), count, bytes, context);
    }

    public override async Task Bidi(IAsyncStreamReader<EchoRequest> requestStream, IServerStreamWriter<EchoReply> responseStream, ServerCallContext context)
    {
        Begin(context);
        var index = 0;
        await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken))
        {
            await responseStream.WriteAsync(Reply(request.Text, index++, request.Payload.Length, context), context.CancellationToken);
        }
    }

    private void Begin(ServerCallContext context)
    {
        state.OnCall(context);
        Fail();
    }

    private void Fail()
    {
        if (state.ForcedStatus is { } status)
        {
            throw new RpcException(new Status(status, $"instance {state.Instance} is failing"));
        }
    }

    private async Task ActAsync(EchoRequest request, ServerCallContext context)
    {
        if (request.FailCode != 0)
        {
            throw new RpcException(new Status((StatusCode)request.FailCode, request.Text));
        }

        if (request.Hang)
        {
            await state.HangAsync(context);
        }
    }

    /// <summary>The grpc-timeout header as received (Grpc.AspNetCore keeps reserved headers out of RequestHeaders).</summary>
    internal static string GrpcTimeoutOf(ServerCallContext context) =>
        context.GetHttpContext().Request.Headers["grpc-timeout"].ToString();

    private EchoReply Reply(string text, int index, long payloadBytes, ServerCallContext context) => new()
    {
        Text = text,
        Index = index,
        Instance = state.Instance,
        PayloadBytes = payloadBytes,
        GrpcTimeout = GrpcTimeoutOf(context),
    };
}
