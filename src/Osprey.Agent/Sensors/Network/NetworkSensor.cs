using Microsoft.Extensions.Logging;
using Osprey.Agent.Interop;

namespace Osprey.Agent.Sensors.Network;

/// <summary>
/// Reports new established connections (NetworkConnection) and new listening or bound ports (PortListen) by
/// listing the host's TCP and UDP sockets through sock_diag netlink at a short interval and comparing listings;
/// the owning process is found through /proc/PID/fd. A connection that opens and closes between two listings
/// is not seen.
/// </summary>
public sealed class NetworkSensor(NetworkSensorOptions? options = null) : ISensor
{
    private readonly NetworkSensorOptions _options = options ?? new NetworkSensorOptions();

    public string Name => "network";

    public async Task RunAsync(SensorContext context, CancellationToken cancellationToken)
    {
        if (_options.Validate() is [var problem, ..])
        {
            context.Health.SetState(SensorState.Failed, problem);
            return;
        }
        var errno = SockDiagClient.TryOpen(out var client);
        if (errno != 0)
        {
            context.Health.SetState(SensorState.Unsupported, $"sock_diag netlink cannot be opened: {RawSocket.Describe(errno)}");
            return;
        }
        using (client)
        {
            try
            {
                var tracker = new ConnectionTracker(_options, context, client!);
                tracker.Poll(baseline: true);
                if (tracker.TcpUnavailable)
                {
                    context.Health.SetState(SensorState.Unsupported, $"the kernel does not list TCP sockets through sock_diag (inet_diag): {RawSocket.Describe(tracker.TcpErrno)}");
                    return;
                }
                context.Health.SetState(SensorState.Running);
                using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(_options.PollIntervalMs), context.Time);
                while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
                {
                    tracker.Poll(baseline: false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                context.Health.SetState(SensorState.Stopped);
            }
            catch (Exception e)
            {
                context.Logger.SensorFailed(Name, e);
                context.Health.SetState(SensorState.Failed, e.Message);
            }
        }
    }
}
