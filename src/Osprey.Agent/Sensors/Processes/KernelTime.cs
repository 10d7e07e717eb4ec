using Osprey.Agent.Interop;

namespace Osprey.Agent.Sensors.Processes;

/// <summary>
/// Converts kernel CLOCK_MONOTONIC timestamps (proc connector events) to Unix microseconds of the injected clock, and
/// to the clock ticks since boot that /proc/PID/stat counts start times in. Re-anchored now and then, so wall-clock
/// adjustments and suspends are followed.
/// </summary>
internal sealed class KernelTime(TimeProvider time)
{
    private const long ReanchorNs = 10_000_000_000;
    private bool _anchored;
    private long _anchorMonotonicNs;
    private long _anchorUnixUs;
    private long _boottimeOffsetNs;

    public long MonotonicNowNs() => KernelClock.MonotonicNs();

    /// <summary>The kernel timestamp as Unix microseconds.</summary>
    public long ToUnixUs(long monotonicNs)
    {
        Reanchor();
        return _anchorUnixUs + (monotonicNs - _anchorMonotonicNs) / 1000;
    }

    /// <summary>The clock ticks since boot at this kernel timestamp: the start time /proc would show for a process created then.</summary>
    public long ToStartTicks(long monotonicNs)
    {
        Reanchor();
        return (monotonicNs + _boottimeOffsetNs) / (1_000_000_000 / Libc.ClockTicksPerSecond);
    }

    private void Reanchor()
    {
        if (_anchored && KernelClock.MonotonicNs() - _anchorMonotonicNs < ReanchorNs)
        {
            return;
        }
        _anchored = true;
        var now = time.GetUtcNow();
        _anchorUnixUs = (now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
        _anchorMonotonicNs = KernelClock.MonotonicNs();
        _boottimeOffsetNs = KernelClock.BoottimeNs() - _anchorMonotonicNs;
    }
}
