using System.Runtime.InteropServices;

namespace Osprey.Agent.Interop;

/// <summary>
/// ptrace(2) for stopping a process's threads to read a consistent image of them (PTRACE_SEIZE, PTRACE_INTERRUPT),
/// their registers (PTRACE_GETREGSET), and letting them go (PTRACE_DETACH); waitpid for the stops. A tracee belongs
/// to the thread that seized it: every call for one process must come from one thread, and when that thread exits the
/// kernel detaches whatever it still traces.
/// </summary>
internal static partial class Ptrace
{
    public const int NtPrstatus = 1;
    public const int NtPrfpreg = 2;
    private const long PtraceDetach = 17;
    private const long PtraceGetRegset = 0x4204;
    private const long PtraceSeize = 0x4206;
    private const long PtraceInterrupt = 0x4207;
    private const int WNoHang = 1;
    private const int WAll = 0x40000000;

    [LibraryImport("libc", EntryPoint = "ptrace", SetLastError = true)]
    private static partial long PtraceNative(long request, int pid, nint address, nint data);

    [LibraryImport("libc", EntryPoint = "waitpid", SetLastError = true)]
    private static partial int WaitPidNative(int pid, out int status, int options);

    /// <summary>Attaches to one thread without stopping it; 0 or the errno.</summary>
    public static int Seize(int tid) => PtraceNative(PtraceSeize, tid, 0, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>Asks a seized thread to stop; 0 or the errno.</summary>
    public static int Interrupt(int tid) => PtraceNative(PtraceInterrupt, tid, 0, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>Lets a stopped thread go; 0 or the errno.</summary>
    public static int Detach(int tid) => PtraceNative(PtraceDetach, tid, 0, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>
    /// Whether the thread has reported its stop yet, without blocking: true when it has, false when not yet, null when
    /// it is gone (exited, or not traced by this thread) with the errno if waitpid failed.
    /// </summary>
    public static bool? TryWaitStopped(int tid, out int errno)
    {
        var rc = WaitPidNative(tid, out var status, WNoHang | WAll);
        errno = rc < 0 ? Marshal.GetLastPInvokeError() : 0;
        if (rc == 0)
        {
            return false;
        }
        return rc == tid && (status & 0xff) == 0x7f ? true : null;
    }

    /// <summary>Reads one register set of a stopped thread into <paramref name="buffer"/>; the bytes filled, or -1 with the errno.</summary>
    public static unsafe int GetRegisterSet(int tid, int noteType, Span<byte> buffer, out int errno)
    {
        fixed (byte* data = buffer)
        {
            var vector = new IoVector { Base = (nint)data, Length = (nuint)buffer.Length };
            var rc = PtraceNative(PtraceGetRegset, tid, noteType, (nint)(&vector));
            errno = rc < 0 ? Marshal.GetLastPInvokeError() : 0;
            return rc < 0 ? -1 : (int)vector.Length;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVector
    {
        public nint Base;
        public nuint Length;
    }
}
