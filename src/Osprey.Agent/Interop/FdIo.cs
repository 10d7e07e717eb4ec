using System.Runtime.InteropServices;

namespace Osprey.Agent.Interop;

/// <summary>open, read, pread and write on descriptors, EINTR retried; EAGAIN is reported as 0 bytes, not an error.</summary>
internal static unsafe partial class FdIo
{
    private const int ORdonly = 0;
    private const int OCloexec = 0x80000;
    private const int ONoctty = 0x100;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenNative(string path, int flags);

    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    private static partial nint PReadNative(SafeHandle fd, byte* buffer, nuint count, long offset);

    /// <summary>
    /// Opens read-only with a plain open(2): no advisory lock is taken (.NET's File.OpenHandle takes one, and
    /// udev reads a lock on a block device as "in use, do not probe").
    /// </summary>
    public static FileDescriptor? OpenReadOnly(string path, out int errno)
    {
        while (true)
        {
            var fd = OpenNative(path, ORdonly | OCloexec | ONoctty);
            if (fd >= 0)
            {
                errno = 0;
                return new FileDescriptor(fd);
            }
            errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
            {
                return null;
            }
        }
    }

    /// <summary>Reads up to the buffer's length at an offset; fewer bytes only at the end of the file. Returns -errno on failure.</summary>
    public static int PRead(SafeHandle fd, Span<byte> buffer, long offset)
    {
        var total = 0;
        fixed (byte* p = buffer)
        {
            while (total < buffer.Length)
            {
                var n = PReadNative(fd, p + total, (nuint)(buffer.Length - total), offset + total);
                if (n == 0)
                {
                    break;
                }
                if (n < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Errno.EINTR)
                    {
                        continue;
                    }
                    return -errno;
                }
                total += (int)n;
            }
        }
        return total;
    }

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint ReadNative(SafeHandle fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint WriteNative(SafeHandle fd, byte* buffer, nuint count);

    /// <summary>Bytes read, 0 when nothing is waiting; throws on any other error.</summary>
    public static int Read(SafeHandle fd, Span<byte> buffer, string what)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                var n = ReadNative(fd, p, (nuint)buffer.Length);
                if (n >= 0)
                {
                    return (int)n;
                }
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR)
                {
                    continue;
                }
                if (errno == Errno.EAGAIN)
                {
                    return 0;
                }
                throw Errno.ToException(errno, $"read({what})");
            }
        }
    }

    /// <summary>Writes the whole buffer or returns false (EAGAIN on a full eventfd); throws on other errors.</summary>
    public static bool Write(SafeHandle fd, ReadOnlySpan<byte> buffer, string what)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                var n = WriteNative(fd, p, (nuint)buffer.Length);
                if (n >= 0)
                {
                    return n == buffer.Length;
                }
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR)
                {
                    continue;
                }
                if (errno == Errno.EAGAIN)
                {
                    return false;
                }
                throw Errno.ToException(errno, $"write({what})");
            }
        }
    }
}
