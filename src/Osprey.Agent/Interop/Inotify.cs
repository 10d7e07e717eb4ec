using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Osprey.Agent.Interop;

/// <summary>inotify(7): watch descriptors on directories and files, and the parser of the event records read from it.</summary>
internal static partial class Inotify
{
    public const uint Modify = 0x2;
    public const uint Attrib = 0x4;
    public const uint CloseWrite = 0x8;
    public const uint MovedFrom = 0x40;
    public const uint MovedTo = 0x80;
    public const uint Create = 0x100;
    public const uint Delete = 0x200;
    public const uint DeleteSelf = 0x400;
    public const uint MoveSelf = 0x800;
    public const uint Unmount = 0x2000;
    public const uint QueueOverflow = 0x4000;
    public const uint Ignored = 0x8000;
    public const uint OnlyDir = 0x1000000;
    public const uint DontFollow = 0x2000000;
    public const uint ExclUnlink = 0x4000000;
    public const uint IsDir = 0x40000000;

    /// <summary>Every change to the entries of a directory and to the directory itself.</summary>
    public const uint DirectoryChanges = Modify | Attrib | CloseWrite | MovedFrom | MovedTo | Create | Delete | DeleteSelf | MoveSelf | OnlyDir | ExclUnlink;

    /// <summary>Size of struct inotify_event before the name.</summary>
    public const int HeaderSize = 16;

    private const int InCloexec = 0x80000;
    private const int InNonblock = 0x800;

    [LibraryImport("libc", EntryPoint = "inotify_init1", SetLastError = true)]
    private static partial int InitNative(int flags);

    [LibraryImport("libc", EntryPoint = "inotify_add_watch", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int AddWatchNative(SafeHandle fd, string path, uint mask);

    [LibraryImport("libc", EntryPoint = "inotify_rm_watch", SetLastError = true)]
    private static partial int RemoveWatchNative(SafeHandle fd, int wd);

    /// <summary>A non-blocking inotify instance.</summary>
    public static FileDescriptor Open()
    {
        var fd = InitNative(InCloexec | InNonblock);
        return fd >= 0 ? new FileDescriptor(fd) : throw Errno.ToException(Marshal.GetLastPInvokeError(), "inotify_init1");
    }

    /// <summary>The watch descriptor, or -1 with the errno (ENOENT, ENOTDIR, EACCES, ENOSPC) when the path cannot be watched.</summary>
    public static int AddWatch(FileDescriptor fd, string path, uint mask, out int errno)
    {
        var wd = AddWatchNative(fd, path, mask);
        errno = wd >= 0 ? 0 : Marshal.GetLastPInvokeError();
        return wd;
    }

    /// <summary>Removes a watch; a watch the kernel already dropped (EINVAL) is not an error.</summary>
    public static void RemoveWatch(FileDescriptor fd, int wd) => RemoveWatchNative(fd, wd);

    /// <summary>One record of an inotify read: the watch, what happened, and the entry name (empty for the watched object itself).</summary>
    public readonly ref struct Record(int wd, uint mask, uint cookie, ReadOnlySpan<byte> name)
    {
        public int Wd { get; } = wd;
        public uint Mask { get; } = mask;
        public uint Cookie { get; } = cookie;
        public ReadOnlySpan<byte> Name { get; } = name;
    }

    /// <summary>
    /// Reads the record at <paramref name="offset"/> of a buffer filled by read(2) and advances past it; false
    /// at the end or when the record does not fit (which a well-behaved kernel never produces).
    /// </summary>
    public static bool TryReadRecord(ReadOnlySpan<byte> buffer, ref int offset, out Record record)
    {
        record = default;
        if (offset < 0 || buffer.Length - offset < HeaderSize)
        {
            return false;
        }
        var header = buffer.Slice(offset, HeaderSize);
        var wd = BinaryPrimitives.ReadInt32LittleEndian(header);
        var mask = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        var cookie = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        var length = BinaryPrimitives.ReadUInt32LittleEndian(header[12..]);
        if (length > (uint)(buffer.Length - offset - HeaderSize))
        {
            return false;
        }
        var name = buffer.Slice(offset + HeaderSize, (int)length);
        // The kernel pads the name with NULs to an alignment boundary.
        var end = name.IndexOf((byte)0);
        record = new Record(wd, mask, cookie, end < 0 ? name : name[..end]);
        offset += HeaderSize + (int)length;
        return true;
    }
}
