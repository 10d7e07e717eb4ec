using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Osprey.Agent.Interop;

/// <summary>
/// An eventfd one thread signals and another sleeps on: a wake-up that takes no user-space lock, so a real-time
/// signaller never waits for a preempted sleeper (no priority inversion).
/// </summary>
internal sealed unsafe partial class WakeupEvent : SafeHandleMinusOneIsInvalid
{
    private const int EfdCloexec = 0x80000;
    private const int EfdNonblock = 0x800;
    private const short Pollin = 0x1;

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    private static partial int EventFd(uint initial, int flags);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(WakeupEvent fd, ulong* value, nuint count);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(WakeupEvent fd, ulong* value, nuint count);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(nint fd);

    private WakeupEvent()
        : base(ownsHandle: true)
    {
    }

    public static WakeupEvent Create()
    {
        var fd = EventFd(0, EfdCloexec | EfdNonblock);
        if (fd < 0)
        {
            throw new IOException($"eventfd failed with errno {Marshal.GetLastPInvokeError()}");
        }
        var wakeup = new WakeupEvent();
        wakeup.SetHandle(fd);
        return wakeup;
    }

    /// <summary>Wakes the sleeper (or makes its next sleep return at once).</summary>
    public void Signal()
    {
        ulong one = 1;
        while (Write(this, &one, sizeof(ulong)) < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            // EAGAIN: the counter is at its maximum, so the sleeper is woken anyway.
            if (errno != Errno.EINTR)
            {
                return;
            }
        }
    }

    /// <summary>Sleeps until signalled or until the timeout; consumes the signal. True when it was signalled.</summary>
    public bool Wait(int timeoutMs)
    {
        var added = false;
        try
        {
            DangerousAddRef(ref added);
            var poll = new PollFd { Fd = (int)handle, Events = Pollin };
            int ready;
            while ((ready = Poll(&poll, 1, timeoutMs)) < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.EINTR)
                {
                    throw new IOException($"poll failed with errno {errno}");
                }
            }
            if (ready == 0)
            {
                return false;
            }
            ulong value;
            while (Read(this, &value, sizeof(ulong)) < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EAGAIN)
                {
                    break;
                }
                if (errno != Errno.EINTR)
                {
                    throw new IOException($"reading the eventfd failed with errno {errno}");
                }
            }
            return true;
        }
        finally
        {
            if (added)
            {
                DangerousRelease();
            }
        }
    }

    protected override bool ReleaseHandle() => Close(handle) == 0;
}
