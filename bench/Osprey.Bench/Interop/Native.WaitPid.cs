using System.Runtime.InteropServices;

namespace Osprey.Bench.Interop;

internal static partial class Native
{
    public const int WNoHang = 1;
    public const int EIntr = 4;

    /// <summary>waitpid(2) on one child; only our own children by PID, so the runtime's own child processes are never reaped here.</summary>
    [LibraryImport("libc", EntryPoint = "waitpid", SetLastError = true)]
    public static partial int WaitPid(int pid, out int status, int options);
}
