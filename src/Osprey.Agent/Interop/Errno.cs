using System.Runtime.InteropServices;

namespace Osprey.Agent.Interop;

/// <summary>The errno values the agent's native calls branch on (x86-64 and arm64 share them), and their text.</summary>
internal static class Errno
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int EACCES = 13;
    public const int EXDEV = 18;
    public const int ENODEV = 19;
    public const int ENOTDIR = 20;
    public const int EINVAL = 22;
    public const int EMFILE = 24;
    public const int ENOSPC = 28;
    public const int ERANGE = 34;
    public const int ENOSYS = 38;
    public const int ENODATA = 61;
    public const int EPROTONOSUPPORT = 93;
    public const int EOPNOTSUPP = 95;
    public const int EAFNOSUPPORT = 97;
    public const int ENOBUFS = 105;
    public const int ESTALE = 116;

    /// <summary>"strerror (errno)" for log lines and health messages.</summary>
    public static string Describe(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";

    /// <summary>An IOException naming the call and the kernel's text for the errno.</summary>
    public static IOException ToException(int errno, string call) => new($"{call} failed: {Describe(errno)}", errno);
}
