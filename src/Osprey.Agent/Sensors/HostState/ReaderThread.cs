using Microsoft.Extensions.Logging;

namespace Osprey.Agent.Sensors.HostState;

/// <summary>Runs a sensor's blocking read loop on its own thread and turns how it ends into the sensor's health state.</summary>
internal static class ReaderThread
{
    public static Task Run(string name, SensorContext context, Action body, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                body();
                context.Health.SetState(SensorState.Stopped);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                context.Health.SetState(SensorState.Stopped);
            }
            catch (Exception e)
            {
                // The contract: a fatal error is a state with a message, never an exception out of RunAsync.
                context.Health.SetState(SensorState.Failed, e.Message);
                HostStateLog.SensorFailed(context.Logger, name, e);
            }
            done.TrySetResult();
        })
        {
            IsBackground = true,
            Name = "osprey-" + name,
        };
        thread.Start();
        return done.Task;
    }
}
