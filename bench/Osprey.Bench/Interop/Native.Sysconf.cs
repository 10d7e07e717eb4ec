using System.Runtime.InteropServices;

namespace Osprey.Bench.Interop;

internal static partial class Native
{
    private const int ScClkTck = 2;

    /// <summary>Kernel clock ticks per second, the unit of utime and stime in /proc/PID/stat.</summary>
    public static long ClockTicksPerSecond { get; } = Math.Max(1, Sysconf(ScClkTck));

    [LibraryImport("libc", EntryPoint = "sysconf", SetLastError = true)]
    private static partial long Sysconf(int name);
}
