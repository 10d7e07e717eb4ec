using System.Runtime.InteropServices;

namespace Osprey.Agent.Interop;

/// <summary>poll(2) on one descriptor plus a wake descriptor, EINTR retried.</summary>
internal static unsafe partial class Poll
{
    public const short In = 0x1;
    public const short Pri = 0x2;
    public const short Err = 0x8;
    public const short Hup = 0x10;
    public const short Nval = 0x20;

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int PollNative(PollFd* fds, nuint count, int timeoutMs);

    /// <summary>
    /// Waits until <paramref name="fd"/> reports one of <paramref name="events"/> (or an error), the wake
    /// descriptor becomes readable, or the timeout passes. Returns the revents of <paramref name="fd"/> (0 on
    /// timeout) and whether the wake descriptor fired.
    /// </summary>
    public static (short Revents, bool Woken) Wait(SafeHandle fd, short events, SafeHandle wake, int timeoutMs)
    {
        var fdAdded = false;
        var wakeAdded = false;
        try
        {
            fd.DangerousAddRef(ref fdAdded);
            wake.DangerousAddRef(ref wakeAdded);
            var fds = stackalloc PollFd[2];
            fds[0] = new PollFd { Fd = (int)fd.DangerousGetHandle(), Events = events };
            fds[1] = new PollFd { Fd = (int)wake.DangerousGetHandle(), Events = In };
            while (true)
            {
                var rc = PollNative(fds, 2, timeoutMs);
                if (rc >= 0)
                {
                    return (fds[0].Revents, fds[1].Revents != 0);
                }
                var errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.EINTR)
                {
                    throw Errno.ToException(errno, "poll");
                }
            }
        }
        finally
        {
            if (wakeAdded)
            {
                wake.DangerousRelease();
            }
            if (fdAdded)
            {
                fd.DangerousRelease();
            }
        }
    }
}
