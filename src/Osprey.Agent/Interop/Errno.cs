using System.Runtime.InteropServices;

namespace Osprey.Agent.Interop;

/// <summary>The errno values the host-state readers act on, and the one place an errno becomes an exception.</summary>
internal static class Errno
{
    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int EACCES = 13;
    public const int ENOTDIR = 20;
    public const int EINVAL = 22;
    public const int ENOSPC = 28;
    public const int ENOBUFS = 105;

    /// <summary>An IOException naming the call and the kernel's text for the errno.</summary>
    public static IOException ToException(int errno, string call) =>
        new($"{call} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
}
