using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Osprey.Agent.Interop;

/// <summary>fanotify(7): creating a notification group, marking filesystems, and reading its event stream.</summary>
internal static unsafe partial class Fanotify
{
    // Event bits (include/uapi/linux/fanotify.h).
    public const ulong Modify = 0x2;
    public const ulong Attrib = 0x4;
    public const ulong CloseWrite = 0x8;
    public const ulong MovedFrom = 0x40;
    public const ulong MovedTo = 0x80;
    public const ulong Create = 0x100;
    public const ulong Delete = 0x200;
    public const ulong QueueOverflow = 0x4000;
    public const ulong OpenPermission = 0x10000;
    public const ulong OpenExecPermission = 0x40000;
    public const ulong Rename = 0x1000_0000;
    public const ulong OnDirectory = 0x4000_0000;

    // fanotify_init flags.
    public const uint CloseOnExec = 0x1;
    public const uint NonBlocking = 0x2;
    public const uint ClassNotification = 0x0;
    public const uint ClassContent = 0x4;
    public const uint ReportFid = 0x200;
    public const uint ReportDirectoryFid = 0x400;
    public const uint ReportName = 0x800;
    public const uint ReportTargetFid = 0x1000;
    public const uint ReportDirectoryFidAndName = ReportDirectoryFid | ReportName;

    // fanotify_mark flags.
    public const uint MarkAdd = 0x1;
    public const uint MarkRemove = 0x2;
    public const uint MarkIgnoredMask = 0x20;
    public const uint MarkFlush = 0x80;
    public const uint MarkMount = 0x10;
    public const uint MarkFilesystem = 0x100;

    public const int MetadataVersion = 3;

    // fanotify_response.response for permission events.
    public const uint Allow = 0x1;
    public const uint Deny = 0x2;
    public const int NoFd = -1;

    // open(2) flags used with fanotify_init's event_f_flags and open_by_handle_at.
    public const int OpenReadOnly = 0x0;
    public const int OpenLargeFile = 0x8000;

    private const short PollIn = 0x1;
    private const short PollPriority = 0x2;
    private const short PollError = 0x8;

    [LibraryImport("libc", EntryPoint = "fanotify_init", SetLastError = true)]
    private static partial int InitNative(uint flags, uint eventFileFlags);

    [LibraryImport("libc", EntryPoint = "fanotify_mark", SetLastError = true)]
    private static partial int MarkNative(int fanotifyFd, uint flags, ulong mask, int dirFd, byte* path);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint ReadNative(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint WriteNative(int fd, void* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int PollNative(PollFd* fds, nuint count, int timeoutMs);

    /// <summary>fanotify_init; null with the errno when the kernel refuses (EPERM without CAP_SYS_ADMIN, EINVAL for unknown flags).</summary>
    public static SafeFileHandle? Init(uint flags, uint eventFileFlags, out int errno)
    {
        var fd = InitNative(flags, eventFileFlags);
        errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        return fd < 0 ? null : new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>Answers a permission event: allow or deny the access the event's file descriptor stands for.</summary>
    public static bool Respond(SafeFileHandle group, int eventFd, uint response, out int errno)
    {
        var added = false;
        try
        {
            group.DangerousAddRef(ref added);
            var answer = new Response { Fd = eventFd, Verdict = response };
            while (true)
            {
                var n = WriteNative((int)group.DangerousGetHandle(), &answer, (nuint)sizeof(Response));
                errno = n < 0 ? Marshal.GetLastPInvokeError() : 0;
                if (errno != Errno.EINTR)
                {
                    return n == sizeof(Response);
                }
            }
        }
        finally
        {
            if (added)
            {
                group.DangerousRelease();
            }
        }
    }

    /// <summary>fanotify_mark on a file descriptor number the caller keeps open (an event's descriptor): the mark lands on that inode.</summary>
    public static bool Mark(SafeFileHandle group, uint flags, ulong mask, int targetFd, out int errno)
    {
        var added = false;
        try
        {
            group.DangerousAddRef(ref added);
            var rc = MarkNative((int)group.DangerousGetHandle(), flags, mask, targetFd, null);
            errno = rc < 0 ? Marshal.GetLastPInvokeError() : 0;
            return rc == 0;
        }
        finally
        {
            if (added)
            {
                group.DangerousRelease();
            }
        }
    }

    /// <summary>Marks the object open as <paramref name="target"/> (a path is not used, so the mark lands on exactly what was opened and checked).</summary>
    public static bool Mark(SafeFileHandle group, uint flags, ulong mask, SafeFileHandle target, out int errno)
    {
        var addedGroup = false;
        var addedTarget = false;
        try
        {
            group.DangerousAddRef(ref addedGroup);
            target.DangerousAddRef(ref addedTarget);
            var rc = MarkNative((int)group.DangerousGetHandle(), flags, mask, (int)target.DangerousGetHandle(), null);
            errno = rc < 0 ? Marshal.GetLastPInvokeError() : 0;
            return rc == 0;
        }
        finally
        {
            if (addedTarget)
            {
                target.DangerousRelease();
            }
            if (addedGroup)
            {
                group.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Waits until the group has events, the mount table changed (when <paramref name="mountTable"/>, an open
    /// /proc/self/mountinfo, is given: the kernel flags a change with POLLPRI), or the timeout passes.
    /// False with errno 0 on timeout or EINTR; false with the errno when poll fails.
    /// </summary>
    public static bool Wait(SafeFileHandle group, SafeFileHandle? mountTable, int timeoutMs, out bool eventsReady, out bool mountsChanged, out int errno)
    {
        eventsReady = false;
        mountsChanged = false;
        var addedGroup = false;
        var addedMounts = false;
        try
        {
            group.DangerousAddRef(ref addedGroup);
            mountTable?.DangerousAddRef(ref addedMounts);
            var fds = stackalloc PollFd[2];
            fds[0] = new PollFd { Fd = (int)group.DangerousGetHandle(), Events = PollIn };
            fds[1] = new PollFd { Fd = addedMounts ? (int)mountTable!.DangerousGetHandle() : -1, Events = PollPriority };
            var rc = PollNative(fds, 2, timeoutMs);
            errno = rc < 0 ? Marshal.GetLastPInvokeError() : 0;
            if (rc < 0 && errno == Errno.EINTR)
            {
                errno = 0;
            }
            eventsReady = rc > 0 && (fds[0].Revents & PollIn) != 0;
            mountsChanged = rc > 0 && (fds[1].Revents & (PollPriority | PollError)) != 0;
            return rc > 0;
        }
        finally
        {
            if (addedMounts)
            {
                mountTable!.DangerousRelease();
            }
            if (addedGroup)
            {
                group.DangerousRelease();
            }
        }
    }

    /// <summary>Reads whole events into <paramref name="buffer"/>; 0 when none are queued (EAGAIN), -1 with the errno on failure. EINTR is retried.</summary>
    public static int Read(SafeFileHandle group, Span<byte> buffer, out int errno)
    {
        var added = false;
        try
        {
            group.DangerousAddRef(ref added);
            fixed (byte* p = buffer)
            {
                while (true)
                {
                    var n = ReadNative((int)group.DangerousGetHandle(), p, (nuint)buffer.Length);
                    if (n >= 0)
                    {
                        errno = 0;
                        return (int)n;
                    }
                    errno = Marshal.GetLastPInvokeError();
                    if (errno == Errno.EINTR)
                    {
                        continue;
                    }
                    if (errno == Errno.EAGAIN)
                    {
                        errno = 0;
                        return 0;
                    }
                    return -1;
                }
            }
        }
        finally
        {
            if (added)
            {
                group.DangerousRelease();
            }
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Response
    {
        public int Fd;
        public uint Verdict;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }
}
