using System.Buffers;
using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Osprey.Agent.Interop;

/// <summary>
/// Reads /proc files and links into caller buffers without allocating: the path is formatted on the stack and the
/// file descriptor never leaves the call. Used where a process may vanish within microseconds (the exec path).
/// </summary>
internal static unsafe partial class ProcRead
{
    /// <summary>Room for "/proc/" + a PID + "/" + the longest leaf we use + NUL.</summary>
    public const int PathCapacity = 96;
    private const int OReadOnly = 0;
    private const int OCloexec = 0x80000;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true)]
    private static partial int Open(byte* path, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint ReadNative(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "readlink", SetLastError = true)]
    private static partial nint ReadLinkNative(byte* path, byte* buffer, nuint size);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    /// <summary>Writes "/proc/PID/LEAF" and a terminating NUL; returns the length including the NUL.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int FormatPath(Span<byte> destination, int pid, ReadOnlySpan<byte> leaf)
    {
        "/proc/"u8.CopyTo(destination);
        var length = 6;
        if (!Utf8Formatter.TryFormat(pid, destination[length..], out var written))
        {
            throw new ArgumentException("path buffer too small", nameof(destination));
        }
        length += written;
        if (!leaf.IsEmpty)
        {
            destination[length++] = (byte)'/';
            leaf.CopyTo(destination[length..]);
            length += leaf.Length;
        }
        destination[length++] = 0;
        return length;
    }

    /// <summary>
    /// Reads from the start of the file until end of file or until the buffer is full (with <paramref name="generatedWhole"/>,
    /// until the first short read: see <see cref="ReadAll(int, ref byte[], int, bool)"/>); -errno when it cannot be opened or read.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int ReadFile(ReadOnlySpan<byte> path, Span<byte> buffer, bool generatedWhole = false)
    {
        int fd;
        fixed (byte* p = path)
        {
            fd = OpenRetrying(p);
        }
        if (fd < 0)
        {
            return fd;
        }
        try
        {
            return ReadToEnd(fd, buffer, generatedWhole);
        }
        finally
        {
            Close(fd);
        }
    }

    /// <summary>
    /// Reads the whole file into a buffer from <see cref="ArrayPool{T}.Shared"/>, renting a larger one (and returning the old)
    /// while the file fills it, up to <paramref name="limit"/> bytes. Returns the length or -errno.
    /// </summary>
    public static int ReadAll(ReadOnlySpan<byte> path, ref byte[] buffer, int limit, bool generatedWhole = false)
    {
        int fd;
        fixed (byte* p = path)
        {
            fd = OpenRetrying(p);
        }
        if (fd < 0)
        {
            return fd;
        }
        try
        {
            return ReadAll(fd, ref buffer, limit, generatedWhole);
        }
        finally
        {
            Close(fd);
        }
    }

    /// <summary>
    /// <see cref="ReadAll(ReadOnlySpan{byte}, ref byte[], int)"/> on an open descriptor. With <paramref name="generatedWhole"/>
    /// a read that does not fill the buffer ends the file: /proc files the kernel formats whole on the first read
    /// (stat, status, loginuid) need no second read to see the end.
    /// </summary>
    internal static int ReadAll(int fd, ref byte[] buffer, int limit, bool generatedWhole)
    {
        var length = 0;
        while (true)
        {
            var read = ReadToEnd(fd, buffer.AsSpan(length), generatedWhole);
            if (read < 0)
            {
                return read;
            }
            length += read;
            if (length < buffer.Length || buffer.Length >= limit)
            {
                return Math.Min(length, limit);
            }
            var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, limit));
            buffer.AsSpan(0, length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = larger;
        }
    }

    /// <summary>The target of a symbolic link (not NUL-terminated); -errno when it cannot be read. A target longer than the buffer is cut.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int ReadLink(ReadOnlySpan<byte> path, Span<byte> buffer)
    {
        fixed (byte* p = path)
        fixed (byte* b = buffer)
        {
            var length = ReadLinkNative(p, b, (nuint)buffer.Length);
            return length < 0 ? -Marshal.GetLastPInvokeError() : (int)length;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int OpenRetrying(byte* path)
    {
        while (true)
        {
            var fd = Open(path, OReadOnly | OCloexec);
            if (fd >= 0)
            {
                return fd;
            }
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
            {
                return -errno;
            }
        }
    }

    /// <summary>Reads until end of file or a full buffer (with <paramref name="generatedWhole"/>, until the first short read); -errno when nothing could be read.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int ReadToEnd(int fd, Span<byte> buffer, bool generatedWhole = false)
    {
        var length = 0;
        fixed (byte* b = buffer)
        {
            while (length < buffer.Length)
            {
                var read = ReadNative(fd, b + length, (nuint)(buffer.Length - length));
                if (read == 0)
                {
                    break;
                }
                if (read > 0 && generatedWhole && read < buffer.Length - length)
                {
                    length += (int)read;
                    break;
                }
                if (read < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Errno.EINTR)
                    {
                        continue;
                    }
                    // A process that exits while its file is read: what was read is still good.
                    return length > 0 ? length : -errno;
                }
                length += (int)read;
            }
        }
        return length;
    }
}
