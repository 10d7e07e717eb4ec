using System.Runtime.InteropServices;
using Osprey.Agent.Interop;

namespace Osprey.Agent.Sensors.HostState;

/// <summary>Blocks a reader thread in poll on one descriptor until it is ready, a timeout passes, or the sensor is cancelled.</summary>
internal sealed class DescriptorWaiter : IDisposable
{
    private readonly FileDescriptor _wake = EventFd.Create();
    private readonly CancellationTokenRegistration _registration;
    private readonly CancellationToken _cancellationToken;

    public DescriptorWaiter(CancellationToken cancellationToken)
    {
        _cancellationToken = cancellationToken;
        _registration = cancellationToken.Register(static state => EventFd.Signal((FileDescriptor)state!), _wake);
    }

    /// <summary>The descriptor's revents (0 after a timeout); throws OperationCanceledException once cancelled.</summary>
    public short Wait(SafeHandle fd, short events, TimeSpan timeout)
    {
        _cancellationToken.ThrowIfCancellationRequested();
        var ms = timeout == Timeout.InfiniteTimeSpan ? -1 : (int)Math.Clamp(timeout.TotalMilliseconds, 0, int.MaxValue);
        var (revents, _) = Poll.Wait(fd, events, _wake, ms);
        _cancellationToken.ThrowIfCancellationRequested();
        return revents;
    }

    /// <summary>Sleeps for the interval unless cancelled first (a settle delay that still stops promptly).</summary>
    public void Sleep(TimeSpan interval) => _cancellationToken.WaitHandle.WaitOne(interval);

    public void Dispose()
    {
        _registration.Dispose();
        _wake.Dispose();
    }
}
