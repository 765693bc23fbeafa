using System.Globalization;
using System.Net;
using Grpc.Core;
using GrpcEcho;
using Microsoft.AspNetCore.Server.Kestrel.Core;

// Usage: GrpcEcho --Port=PORT (HTTP/2 cleartext only on 127.0.0.1:PORT; GET /calls answers how many calls succeeded)
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var port = int.Parse(builder.Configuration["Port"] ?? "50051", CultureInfo.InvariantCulture);
builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, o => o.Protocols = HttpProtocols.Http2));
builder.Services.AddGrpc();
builder.Services.AddSingleton<EchoService>();
var app = builder.Build();
app.MapGrpcService<EchoService>();

// The bench compares this count with the load generator's: h2load sees HTTP 200 only, not grpc-status.
var service = app.Services.GetRequiredService<EchoService>();
app.MapGet("/calls", (RequestDelegate)(context => context.Response.WriteAsync(service.Calls.ToString(CultureInfo.InvariantCulture))));
await app.RunAsync().ConfigureAwait(false);

namespace GrpcEcho
{
    /// <summary>Answers every call with its own payload and counts the calls.</summary>
    internal sealed class EchoService : Echo.EchoBase
    {
        private long _calls;

        public long Calls => Interlocked.Read(ref _calls);

        public override Task<EchoReply> Unary(EchoRequest request, ServerCallContext context)
        {
            Interlocked.Increment(ref _calls);
            return Task.FromResult(new EchoReply { Payload = request.Payload });
        }
    }
}
