using System.Runtime.InteropServices;
using System.Text;

namespace Osprey.Agent.Interop;

/// <summary>Extended attributes of a path (listxattr(2), getxattr(2); the l- variants when links are not followed).</summary>
internal static unsafe partial class ExtendedAttributes
{
    /// <summary>The kernel's limit for a name list and for one value (XATTR_LIST_MAX, XATTR_SIZE_MAX).</summary>
    private const int MaxBytes = 65536;

    [LibraryImport("libc", EntryPoint = "llistxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint ListLinkNative(string path, byte* list, nuint size);

    [LibraryImport("libc", EntryPoint = "lgetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint GetLinkNative(string path, string name, byte* value, nuint size);

    [LibraryImport("libc", EntryPoint = "listxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint ListNative(string path, byte* list, nuint size);

    [LibraryImport("libc", EntryPoint = "getxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint GetNative(string path, string name, byte* value, nuint size);

    /// <summary>The attribute names (values are not read); empty when there are none or they cannot be listed.</summary>
    public static List<string> Names(string path, bool followLinks = false)
    {
        var names = new List<string>();
        var size = Call(path, null, followLinks, out var list);
        if (size <= 0)
        {
            return names;
        }
        foreach (var name in list.AsSpan(0, size).Split((byte)0))
        {
            var bytes = list.AsSpan(0, size)[name];
            if (!bytes.IsEmpty)
            {
                names.Add(Encoding.UTF8.GetString(bytes));
            }
        }
        return names;
    }

    /// <summary>One attribute's value; null when it is absent or cannot be read.</summary>
    public static byte[]? Value(string path, string name, bool followLinks = false)
    {
        var size = Call(path, name, followLinks, out var value);
        return size < 0 ? null : value.AsSpan(0, size).ToArray();
    }

    // Asks for the size first, then reads; retries once if the attribute grew in between (ERANGE).
    private static int Call(string path, string? name, bool followLinks, out byte[] buffer)
    {
        buffer = [];
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var size = Invoke(path, name, followLinks, null, 0);
            if (size <= 0)
            {
                return (int)size;
            }
            if (size > MaxBytes)
            {
                return -1;
            }
            buffer = new byte[size];
            fixed (byte* p = buffer)
            {
                var read = Invoke(path, name, followLinks, p, (nuint)buffer.Length);
                if (read >= 0)
                {
                    return (int)read;
                }
                if (Marshal.GetLastPInvokeError() != Errno.ERANGE)
                {
                    return -1;
                }
            }
        }
        return -1;
    }

    private static nint Invoke(string path, string? name, bool followLinks, byte* buffer, nuint size)
    {
        while (true)
        {
            var rc = (name, followLinks) switch
            {
                (null, true) => ListNative(path, buffer, size),
                (null, false) => ListLinkNative(path, buffer, size),
                (_, true) => GetNative(path, name, buffer, size),
                _ => GetLinkNative(path, name, buffer, size),
            };
            if (rc >= 0 || Marshal.GetLastPInvokeError() != Errno.EINTR)
            {
                return rc;
            }
        }
    }
}
