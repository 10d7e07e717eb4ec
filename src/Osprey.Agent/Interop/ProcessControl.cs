using System.Runtime.InteropServices;

namespace Osprey.Agent.Interop;

/// <summary>Signals a process through a pidfd (which names one process, never a later one with the same PID), and crypt(3).</summary>
internal static partial class ProcessControl
{
    public const int SigKill = 9;
    private const long SysPidfdOpen = 434;
    private const long SysPidfdSendSignal = 424;
    private static readonly Lock s_cryptLock = new();

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall2(long number, long a, long b);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall4(long number, long a, long b, long c, long d);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    [LibraryImport("libcrypt.so.1", EntryPoint = "crypt", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint CryptNative(string phrase, string setting);

    /// <summary>Opens a pidfd for <paramref name="pid"/>; -1 with the errno when it cannot.</summary>
    public static int PidfdOpen(int pid, out int errno)
    {
        var fd = (int)Syscall2(SysPidfdOpen, pid, 0);
        errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        return fd;
    }

    /// <summary>Sends <paramref name="signal"/> through the pidfd; 0 or the errno.</summary>
    public static int PidfdSignal(int pidfd, int signal) =>
        Syscall4(SysPidfdSendSignal, pidfd, signal, 0, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();

    public static void CloseFd(int fd) => Close(fd);

    /// <summary>crypt(3) of <paramref name="phrase"/> with the salt and method of <paramref name="setting"/> (a shadow hash); null when the method is unknown.</summary>
    public static string? Crypt(string phrase, string setting)
    {
        lock (s_cryptLock)
        {
            var result = CryptNative(phrase, setting);
            var text = result == 0 ? null : Marshal.PtrToStringUTF8(result);
            // libxcrypt answers an unknown method with a string starting with '*'.
            return text is null || text.StartsWith('*') ? null : text;
        }
    }
}
