using System.Runtime.InteropServices;

namespace Osprey.Agent.Interop;

/// <summary>eventfd(2): a descriptor another thread can make readable, used to wake a thread blocked in poll.</summary>
internal static partial class EventFd
{
    private const int EfdCloexec = 0x80000;
    private const int EfdNonblock = 0x800;

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    private static partial int EventFdNative(uint initial, int flags);

    public static FileDescriptor Create()
    {
        var fd = EventFdNative(0, EfdCloexec | EfdNonblock);
        return fd >= 0 ? new FileDescriptor(fd) : throw Errno.ToException(Marshal.GetLastPInvokeError(), "eventfd");
    }

    /// <summary>Adds one to the counter, making the descriptor readable.</summary>
    public static void Signal(FileDescriptor fd)
    {
        Span<byte> one = stackalloc byte[8];
        BitConverter.TryWriteBytes(one, 1UL);
        FdIo.Write(fd, one, "eventfd");
    }
}
