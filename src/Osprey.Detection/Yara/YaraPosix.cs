using System.Runtime.InteropServices;

namespace Osprey.Detection.Yara;

/// <summary>
/// The libc calls the tree walk uses to stay inside the tree: every entry is opened relative to its directory's
/// descriptor with O_NOFOLLOW, so a symbolic link (or a directory swapped for one mid-walk) is never followed.
/// </summary>
internal static unsafe partial class YaraPosix
{
    public const int AtFdCwd = -100;
    public const int OReadOnly = 0;
    public const int ONoCtty = 0x100;
    public const int ONonBlock = 0x800;
    public const int ODirectory = 0x10000;
    public const int ONoFollow = 0x20000;
    public const int OCloExec = 0x80000;
    public const int AtSymlinkNoFollow = 0x100;
    public const int AtEmptyPath = 0x1000;
    public const byte DtUnknown = 0;
    public const byte DtDirectory = 4;
    public const byte DtRegular = 8;
    public const uint SIfMt = 0xF000;
    public const uint SIfDir = 0x4000;
    public const uint SIfReg = 0x8000;
    private const uint StatxBasicStats = 0x7FF;

    // struct dirent on 64-bit glibc: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name.
    private const int DirentType = 18;
    private const int DirentName = 19;

    [LibraryImport("libc", EntryPoint = "openat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int OpenAt(int dirFd, string path, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "dup", SetLastError = true)]
    private static partial int Dup(int fd);

    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    public static partial nint PRead(int fd, byte* buffer, nuint count, long offset);

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int dirFd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "fdopendir", SetLastError = true)]
    private static partial nint FdOpenDir(int fd);

    [LibraryImport("libc", EntryPoint = "readdir", SetLastError = true)]
    private static partial nint ReadDir(nint dir);

    [LibraryImport("libc", EntryPoint = "closedir")]
    private static partial int CloseDir(nint dir);

    /// <summary>Mode, owner and size of <paramref name="path"/> relative to <paramref name="dirFd"/> ("" with AT_EMPTY_PATH: the descriptor itself).</summary>
    public static (uint Mode, uint Uid, long Size)? Stat(int dirFd, string path, int flags, out int errno)
    {
        var buffer = stackalloc byte[256];
        if (Statx(dirFd, path, flags, StatxBasicStats, buffer) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }
        errno = 0;
        // struct statx: stx_uid at 20, stx_mode (u16) at 28, stx_size at 40.
        return (*(ushort*)(buffer + 28), *(uint*)(buffer + 20), *(long*)(buffer + 40));
    }

    /// <summary>The entries of the directory open as <paramref name="dirFd"/> (which stays open), without "." and "..".</summary>
    public static List<(string Name, byte Type)>? List(int dirFd, out int errno)
    {
        var copy = Dup(dirFd);
        if (copy < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }
        var dir = FdOpenDir(copy);
        if (dir == 0)
        {
            errno = Marshal.GetLastPInvokeError();
            Close(copy);
            return null;
        }
        var entries = new List<(string, byte)>();
        try
        {
            while (true)
            {
                Marshal.SetLastPInvokeError(0);
                var entry = ReadDir(dir);
                if (entry == 0)
                {
                    errno = Marshal.GetLastPInvokeError();
                    return errno == 0 ? entries : null;
                }
                var name = Marshal.PtrToStringUTF8(entry + DirentName) ?? "";
                if (name is "." or "..")
                {
                    continue;
                }
                entries.Add((name, *(byte*)(entry + DirentType)));
            }
        }
        finally
        {
            CloseDir(dir);
        }
    }
}
