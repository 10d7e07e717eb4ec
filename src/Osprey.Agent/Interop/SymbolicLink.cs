using System.Runtime.InteropServices;

namespace Osprey.Agent.Interop;

/// <summary>readlink(2) into a caller's buffer, for scanning /proc/PID/fd without allocating a string per descriptor.</summary>
internal static partial class SymbolicLink
{
    /// <summary>Reads the target of the link at a NUL-terminated path; its length (possibly cut at the buffer's size) or a negative errno.</summary>
    public static unsafe int Read(ReadOnlySpan<byte> nulTerminatedPath, Span<byte> target)
    {
        fixed (byte* path = nulTerminatedPath)
        fixed (byte* buffer = target)
        {
            var length = ReadLinkNative(path, buffer, (nuint)target.Length);
            return length >= 0 ? (int)length : -Marshal.GetLastPInvokeError();
        }
    }

    /// <summary>
    /// Reads the target of the link named <paramref name="nulTerminatedName"/> in an open directory (one path component
    /// to resolve instead of the whole path); its length (possibly cut) or a negative errno.
    /// </summary>
    public static unsafe int ReadAt(int directory, ReadOnlySpan<byte> nulTerminatedName, Span<byte> target)
    {
        fixed (byte* name = nulTerminatedName)
        fixed (byte* buffer = target)
        {
            var length = ReadLinkAtNative(directory, name, buffer, (nuint)target.Length);
            return length >= 0 ? (int)length : -Marshal.GetLastPInvokeError();
        }
    }

    [LibraryImport("libc", EntryPoint = "readlinkat", SetLastError = true)]
    private static unsafe partial nint ReadLinkAtNative(int directory, byte* name, byte* buffer, nuint size);

    [LibraryImport("libc", EntryPoint = "readlink", SetLastError = true)]
    private static unsafe partial nint ReadLinkNative(byte* path, byte* buffer, nuint size);
}
