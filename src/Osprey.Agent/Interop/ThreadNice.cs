using System.Runtime.InteropServices;

namespace Osprey.Agent.Interop;

/// <summary>The nice value of the calling thread (Linux schedules threads individually: setpriority on a thread ID).</summary>
internal static partial class ThreadNice
{
    private const int PrioProcess = 0;

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetTid();

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, uint who, int priority);

    /// <summary>Sets the calling thread's nice value (-20 … 19; below 0 needs CAP_SYS_NICE); returns the errno, 0 on success.</summary>
    public static int SetCurrentThreadNice(int nice) =>
        SetPriority(PrioProcess, (uint)GetTid(), nice) == 0 ? 0 : Marshal.GetLastPInvokeError();
}
