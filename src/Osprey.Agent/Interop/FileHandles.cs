using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Osprey.Agent.Interop;

/// <summary>
/// Kernel file handles (name_to_handle_at(2) family): opening an object by the handle fanotify reported, the
/// filesystem ID a handle is relative to, and the path an open descriptor has now.
/// </summary>
internal static unsafe partial class FileHandles
{
    public const int OpenReadOnly = 0x0;
    public const int OpenNonBlocking = 0x800;
    public const int OpenDirectory = 0x1_0000;
    public const int OpenNoFollow = 0x2_0000;
    public const int OpenNoAccessTime = 0x4_0000;
    public const int OpenCloseOnExec = 0x8_0000;
    public const int OpenPath = 0x20_0000;

    /// <summary>MAX_HANDLE_SZ: the largest f_handle the kernel encodes.</summary>
    public const int MaxHandleBytes = 128;

    private const int PathMax = 4096;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenNative(string path, int flags);

    [LibraryImport("libc", EntryPoint = "open_by_handle_at", SetLastError = true)]
    private static partial int OpenByHandleAtNative(int mountFd, byte* fileHandle, int flags);

    [LibraryImport("libc", EntryPoint = "fstatfs", SetLastError = true)]
    private static partial int FstatfsNative(int fd, StatFs* buffer);

    [LibraryImport("libc", EntryPoint = "readlink", SetLastError = true)]
    private static partial nint ReadLinkNative(byte* path, byte* buffer, nuint size);

    /// <summary>open(2) of a path; null with the errno on failure. EINTR is retried.</summary>
    public static SafeFileHandle? Open(string path, int flags, out int errno)
    {
        while (true)
        {
            var fd = OpenNative(path, flags | OpenCloseOnExec);
            if (fd >= 0)
            {
                errno = 0;
                return new SafeFileHandle(fd, ownsHandle: true);
            }
            errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
            {
                return null;
            }
        }
    }

    /// <summary>
    /// open_by_handle_at(2). <paramref name="fileHandle"/> is a struct file_handle as the kernel encoded it
    /// (handle_bytes, handle_type, f_handle); its length must match handle_bytes or the call is not made.
    /// </summary>
    public static SafeFileHandle? OpenByHandle(SafeFileHandle mount, ReadOnlySpan<byte> fileHandle, int flags, out int errno)
    {
        if (fileHandle.Length < 8 || fileHandle.Length - 8 != MemoryMarshal.Read<uint>(fileHandle) || fileHandle.Length - 8 > MaxHandleBytes)
        {
            errno = Errno.EINVAL;
            return null;
        }
        var added = false;
        try
        {
            mount.DangerousAddRef(ref added);
            fixed (byte* handle = fileHandle)
            {
                while (true)
                {
                    var fd = OpenByHandleAtNative((int)mount.DangerousGetHandle(), handle, flags | OpenCloseOnExec);
                    if (fd >= 0)
                    {
                        errno = 0;
                        return new SafeFileHandle(fd, ownsHandle: true);
                    }
                    errno = Marshal.GetLastPInvokeError();
                    if (errno != Errno.EINTR)
                    {
                        return null;
                    }
                }
            }
        }
        finally
        {
            if (added)
            {
                mount.DangerousRelease();
            }
        }
    }

    /// <summary>The filesystem ID (statfs f_fsid) as the 8 bytes fanotify reports it in; null with the errno on failure.</summary>
    public static ulong? FilesystemId(SafeFileHandle file, out int errno)
    {
        var added = false;
        try
        {
            file.DangerousAddRef(ref added);
            StatFs buffer;
            var rc = FstatfsNative((int)file.DangerousGetHandle(), &buffer);
            errno = rc == 0 ? 0 : Marshal.GetLastPInvokeError();
            return rc == 0 ? buffer.Fsid : null;
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    /// <summary>The path an open descriptor refers to now (readlink of /proc/self/fd/N); null with the errno on failure.</summary>
    public static string? PathOf(SafeFileHandle file, out int errno)
    {
        var added = false;
        try
        {
            file.DangerousAddRef(ref added);
            Span<byte> link = stackalloc byte[32];
            if (!System.Text.Unicode.Utf8.TryWrite(link, $"/proc/self/fd/{(int)file.DangerousGetHandle()}\0", out _))
            {
                errno = Errno.ERANGE;
                return null;
            }
            var target = stackalloc byte[PathMax];
            fixed (byte* linkPath = link)
            {
                var n = ReadLinkNative(linkPath, target, PathMax);
                if (n < 0)
                {
                    errno = Marshal.GetLastPInvokeError();
                    return null;
                }
                // A full buffer may be a truncated path: refuse it rather than report a wrong one.
                if (n >= PathMax)
                {
                    errno = Errno.ERANGE;
                    return null;
                }
                errno = 0;
                return Encoding.UTF8.GetString(target, (int)n);
            }
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    // struct statfs on 64-bit Linux: eleven 8-byte words before f_spare; f_fsid is the eighth.
    [StructLayout(LayoutKind.Explicit, Size = 120)]
    private struct StatFs
    {
        [FieldOffset(56)] public ulong Fsid;
    }
}
