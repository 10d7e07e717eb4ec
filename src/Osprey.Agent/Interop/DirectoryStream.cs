using System.Runtime.InteropServices;

namespace Osprey.Agent.Interop;

/// <summary>
/// opendir/readdir/closedir: entry names without a stat per entry (the managed enumerator stats every symbolic link,
/// which triples the cost of walking /proc/PID/fd).
/// </summary>
internal sealed partial class DirectoryStream : SafeHandle
{
    // struct dirent (glibc, 64-bit): d_ino u64, d_off i64, d_reclen u16, d_type u8, then d_name.
    private const int NameOffset = 19;

    private DirectoryStream()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>Opens the directory at a NUL-terminated path; null with the errno when it cannot.</summary>
    public static unsafe DirectoryStream? Open(ReadOnlySpan<byte> nulTerminatedPath, out int errno)
    {
        fixed (byte* path = nulTerminatedPath)
        {
            var dir = OpenDirNative(path);
            if (dir == IntPtr.Zero)
            {
                errno = Marshal.GetLastPInvokeError();
                return null;
            }
            errno = 0;
            var stream = new DirectoryStream();
            stream.SetHandle(dir);
            return stream;
        }
    }

    /// <summary>d_type of a directory (DT_DIR) and of an entry whose type the file system does not report (DT_UNKNOWN).</summary>
    public const byte TypeDirectory = 4;
    public const byte TypeUnknown = 0;

    /// <summary>The next entry's name (valid until the next call), inode number and d_type; false at the end or on an error.</summary>
    public unsafe bool TryRead(out ReadOnlySpan<byte> name, out ulong inode, out byte type)
    {
        var entry = ReadDirNative(handle);
        if (entry == null)
        {
            name = default;
            inode = 0;
            type = 0;
            return false;
        }
        inode = *(ulong*)entry;
        type = entry[NameOffset - 1];
        name = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(entry + NameOffset);
        return true;
    }

    /// <summary>The next entry's name (valid until the next call); false at the end or on an error.</summary>
    public unsafe bool TryRead(out ReadOnlySpan<byte> name)
    {
        var entry = ReadDirNative(handle);
        if (entry == null)
        {
            name = default;
            return false;
        }
        name = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(entry + NameOffset);
        return true;
    }

    /// <summary>The directory's own descriptor, for *at() calls on its entries; valid while the stream is open.</summary>
    public int Descriptor => DirFdNative(handle);

    protected override bool ReleaseHandle() => CloseDirNative(handle) == 0;

    [LibraryImport("libc", EntryPoint = "dirfd", SetLastError = true)]
    private static partial int DirFdNative(IntPtr dir);

    [LibraryImport("libc", EntryPoint = "opendir", SetLastError = true)]
    private static unsafe partial IntPtr OpenDirNative(byte* path);

    [LibraryImport("libc", EntryPoint = "readdir", SetLastError = true)]
    private static unsafe partial byte* ReadDirNative(IntPtr dir);

    [LibraryImport("libc", EntryPoint = "closedir", SetLastError = true)]
    private static partial int CloseDirNative(IntPtr dir);
}
