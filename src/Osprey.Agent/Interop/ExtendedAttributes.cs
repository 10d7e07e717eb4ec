using System.Runtime.InteropServices;
using System.Text;

namespace Osprey.Agent.Interop;

/// <summary>
/// Extended attributes of a path (listxattr(2), getxattr(2); the l- variants when links are not followed) or of an
/// open file (flistxattr, fgetxattr, fsetxattr).
/// </summary>
internal static unsafe partial class ExtendedAttributes
{
    /// <summary>The kernel's limit for a name list and for one value (XATTR_LIST_MAX, XATTR_SIZE_MAX).</summary>
    public const int MaxBytes = 65536;

    [LibraryImport("libc", EntryPoint = "llistxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint ListLinkNative(string path, byte* list, nuint size);

    [LibraryImport("libc", EntryPoint = "lgetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint GetLinkNative(string path, string name, byte* value, nuint size);

    [LibraryImport("libc", EntryPoint = "listxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint ListNative(string path, byte* list, nuint size);

    [LibraryImport("libc", EntryPoint = "getxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint GetNative(string path, string name, byte* value, nuint size);

    [LibraryImport("libc", EntryPoint = "flistxattr", SetLastError = true)]
    private static partial nint ListFileNative(int fd, byte* list, nuint size);

    [LibraryImport("libc", EntryPoint = "fgetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint GetFileNative(int fd, string name, byte* value, nuint size);

    [LibraryImport("libc", EntryPoint = "fsetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetFileNative(int fd, string name, byte* value, nuint size, int flags);

    /// <summary>The attribute names (values are not read); empty when there are none or they cannot be listed.</summary>
    public static List<string> Names(string path, bool followLinks = false)
    {
        var size = Call(new Target(path, -1, followLinks), null, out var list, out _);
        return size <= 0 ? [] : SplitNames(list.AsSpan(0, size));
    }

    /// <summary>One attribute's value; null when it is absent or cannot be read.</summary>
    public static byte[]? Value(string path, string name, bool followLinks = false)
    {
        var size = Call(new Target(path, -1, followLinks), name, out var value, out _);
        return size < 0 ? null : value.AsSpan(0, size).ToArray();
    }

    /// <summary>The names of an open file's attributes, in the kernel's order; null with the errno when they cannot be listed.</summary>
    public static List<string>? Names(SafeHandle file, out int errno)
    {
        using var fd = new Borrowed(file);
        var size = Call(new Target(null, fd.Fd, false), null, out var list, out errno);
        return size < 0 ? null : SplitNames(list.AsSpan(0, size));
    }

    /// <summary>One attribute of an open file; null with the errno when it is absent (ENODATA) or cannot be read.</summary>
    public static byte[]? Value(SafeHandle file, string name, out int errno)
    {
        using var fd = new Borrowed(file);
        var size = Call(new Target(null, fd.Fd, false), name, out var value, out errno);
        return size < 0 ? null : value.AsSpan(0, size).ToArray();
    }

    /// <summary>Sets (creates or replaces) one attribute of an open file; 0, or the errno.</summary>
    public static int Set(SafeHandle file, string name, ReadOnlySpan<byte> value)
    {
        using var fd = new Borrowed(file);
        fixed (byte* p = value)
        {
            while (true)
            {
                if (SetFileNative(fd.Fd, name, p, (nuint)value.Length, 0) == 0)
                {
                    return 0;
                }
                var errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.EINTR)
                {
                    return errno;
                }
            }
        }
    }

    private static List<string> SplitNames(ReadOnlySpan<byte> list)
    {
        var names = new List<string>();
        foreach (var name in list.Split((byte)0))
        {
            var bytes = list[name];
            if (!bytes.IsEmpty)
            {
                names.Add(Encoding.UTF8.GetString(bytes));
            }
        }
        return names;
    }

    // Asks for the size first, then reads; retries once if the attribute grew in between (ERANGE).
    private static int Call(Target target, string? name, out byte[] buffer, out int errno)
    {
        buffer = [];
        errno = 0;
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var size = Invoke(target, name, null, 0);
            if (size < 0)
            {
                errno = Marshal.GetLastPInvokeError();
                return -1;
            }
            if (size == 0)
            {
                return 0;
            }
            if (size > MaxBytes)
            {
                errno = Errno.ERANGE;
                return -1;
            }
            buffer = new byte[size];
            fixed (byte* p = buffer)
            {
                var read = Invoke(target, name, p, (nuint)buffer.Length);
                if (read >= 0)
                {
                    return (int)read;
                }
                errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.ERANGE)
                {
                    return -1;
                }
            }
        }
        return -1;
    }

    private static nint Invoke(Target target, string? name, byte* buffer, nuint size)
    {
        while (true)
        {
            var rc = (target.Path, name, target.FollowLinks) switch
            {
                (null, null, _) => ListFileNative(target.Fd, buffer, size),
                (null, _, _) => GetFileNative(target.Fd, name, buffer, size),
                (_, null, true) => ListNative(target.Path, buffer, size),
                (_, null, false) => ListLinkNative(target.Path, buffer, size),
                (_, _, true) => GetNative(target.Path, name, buffer, size),
                _ => GetLinkNative(target.Path, name, buffer, size),
            };
            if (rc >= 0 || Marshal.GetLastPInvokeError() != Errno.EINTR)
            {
                return rc;
            }
        }
    }

    /// <summary>A path (links followed or not) or, when the path is null, an open file descriptor.</summary>
    private readonly record struct Target(string? Path, int Fd, bool FollowLinks);

    /// <summary>The descriptor of a SafeHandle, kept open for the length of one call.</summary>
    private readonly ref struct Borrowed
    {
        private readonly SafeHandle _handle;
        private readonly bool _added;

        public Borrowed(SafeHandle handle)
        {
            _handle = handle;
            handle.DangerousAddRef(ref _added);
            Fd = (int)handle.DangerousGetHandle();
        }

        public int Fd { get; }

        public void Dispose()
        {
            if (_added)
            {
                _handle.DangerousRelease();
            }
        }
    }
}
