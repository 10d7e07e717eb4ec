using System.Runtime.InteropServices;

namespace Osprey.Agent.Interop;

/// <summary>An owned Linux file descriptor (inotify instance, netlink socket, eventfd) closed exactly once.</summary>
internal sealed partial class FileDescriptor : SafeHandle
{
    public FileDescriptor()
        : base(new IntPtr(-1), ownsHandle: true)
    {
    }

    public FileDescriptor(int fd)
        : base(new IntPtr(-1), ownsHandle: true)
    {
        SetHandle(new IntPtr(fd));
    }

    public override bool IsInvalid => handle.ToInt64() < 0;

    /// <summary>The descriptor number; only valid while a reference is held (poll adds one).</summary>
    public int Fd => (int)handle.ToInt64();

    protected override bool ReleaseHandle() => Close((int)handle.ToInt64()) == 0;

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
