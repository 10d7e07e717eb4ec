using System.Runtime.InteropServices;

namespace Osprey.Agent.Interop;

/// <summary>
/// The kernel clocks that kernel event timestamps are taken from (not wall time: that comes from the injected
/// TimeProvider). The proc connector stamps events with CLOCK_MONOTONIC; process start times count CLOCK_BOOTTIME.
/// </summary>
internal static partial class KernelClock
{
    private const int ClockMonotonic = 1;
    private const int ClockBoottime = 7;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime", SetLastError = true)]
    private static partial int ClockGetTime(int clock, out Timespec time);

    public static long MonotonicNs() => Read(ClockMonotonic);

    public static long BoottimeNs() => Read(ClockBoottime);

    private static long Read(int clock)
    {
        if (ClockGetTime(clock, out var time) != 0)
        {
            // Only EINVAL (unknown clock) or EFAULT can fail here; both are bugs.
            throw new InvalidOperationException($"clock_gettime({clock}) failed with errno {Marshal.GetLastPInvokeError()}");
        }
        return time.Seconds * 1_000_000_000 + time.Nanoseconds;
    }
}
