using System.Runtime.InteropServices;

namespace Osprey.Bench.Interop;

internal static unsafe partial class Native
{
    /// <summary>posix_spawn(3): glibc clones with CLONE_VM|CLONE_VFORK, so its cost does not grow with this process's size; returns an error number, not -1.</summary>
    [LibraryImport("libc", EntryPoint = "posix_spawn")]
    public static partial int PosixSpawn(out int pid, byte* path, nint fileActions, nint attributes, byte** argv, byte** envp);
}
