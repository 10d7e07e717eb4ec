using System.Runtime.InteropServices;

namespace Osprey.Agent.Interop;

/// <summary>
/// Scheduling of the calling thread. Linux schedules threads individually, so these act on the thread ID and leave
/// the rest of the process alone.
/// </summary>
internal static unsafe partial class ThreadScheduling
{
    private const int PrioProcess = 0;
    private const int SchedFifo = 1;
    private const int SchedResetOnFork = 0x40000000;

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetTid();

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, uint who, int priority);

    [LibraryImport("libc", EntryPoint = "sched_setscheduler", SetLastError = true)]
    private static partial int SetScheduler(int pid, int policy, int* parameter);

    /// <summary>Sets the calling thread's nice value (-20 … 19; below 0 needs CAP_SYS_NICE); returns the errno, 0 on success.</summary>
    public static int SetCurrentThreadNice(int nice) =>
        SetPriority(PrioProcess, (uint)GetTid(), nice) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>
    /// Makes the calling thread SCHED_FIFO at this priority (1 … 99; needs CAP_SYS_NICE), not inherited by anything it
    /// creates. The kernel's RT throttling (sched_rt_runtime_us) still leaves other threads their share. Returns the errno, 0 on success.
    /// </summary>
    public static int SetCurrentThreadRealTime(int priority)
    {
        var parameter = priority;
        return SetScheduler(GetTid(), SchedFifo | SchedResetOnFork, &parameter) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }
}
