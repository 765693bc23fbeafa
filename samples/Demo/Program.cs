using System.Runtime.InteropServices;
using Demo;

// One command, bounded in time, nothing left behind: Ctrl+C / SIGTERM cancel the run, and DemoRunner kills
// every process it started in a finally block.
using var cancellation = new CancellationTokenSource(DemoConstants.OverallDeadline);
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
return await DemoRunner.RunAsync(Console.Out, cancellation.Token);

void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    cancellation.Cancel();
}
