using System.Runtime.InteropServices;

namespace Osprey.Agent.Interop;

/// <summary>Extended attributes of a path (links followed): the names, and the value of one attribute.</summary>
internal static unsafe partial class FileXattr
{
    private const int MaxListBytes = 64 * 1024;

    [LibraryImport("libc", EntryPoint = "listxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint ListNative(string path, byte* list, nuint size);

    [LibraryImport("libc", EntryPoint = "getxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint GetNative(string path, string name, byte* value, nuint size);

    /// <summary>The attribute names ("security.selinux", "user.x"…); empty when there are none or they cannot be read.</summary>
    public static List<string> Names(string path)
    {
        var names = new List<string>();
        var size = ListNative(path, null, 0);
        if (size <= 0)
        {
            return names;
        }
        var buffer = new byte[Math.Min((int)size + 256, MaxListBytes)];
        fixed (byte* b = buffer)
        {
            size = ListNative(path, b, (nuint)buffer.Length);
        }
        // ERANGE: attributes were added between the two calls; what was there a moment ago is not worth a retry loop.
        if (size <= 0)
        {
            return names;
        }
        var span = buffer.AsSpan(0, (int)size);
        while (!span.IsEmpty)
        {
            var end = span.IndexOf((byte)0);
            var name = end < 0 ? span : span[..end];
            if (!name.IsEmpty)
            {
                names.Add(System.Text.Encoding.UTF8.GetString(name));
            }
            span = end < 0 ? [] : span[(end + 1)..];
        }
        return names;
    }

    /// <summary>The value of one attribute; null when it is absent or cannot be read (errno in <paramref name="errno"/>).</summary>
    public static byte[]? Get(string path, string name, out int errno)
    {
        var size = GetNative(path, name, null, 0);
        if (size < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }
        var buffer = new byte[size];
        fixed (byte* b = buffer)
        {
            size = GetNative(path, name, b, (nuint)buffer.Length);
        }
        if (size < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }
        errno = 0;
        return buffer.AsSpan(0, (int)size).ToArray();
    }
}
