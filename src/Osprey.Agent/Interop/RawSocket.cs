using System.Runtime.InteropServices;

namespace Osprey.Agent.Interop;

/// <summary>
/// A socket of a family .NET does not wrap (netlink, packet), opened with socket(2), always non-blocking and
/// close-on-exec, closed once when released. Calls return a negative errno instead of throwing: failures such
/// as EAGAIN or EPERM are expected outcomes for the sensors that use it.
/// </summary>
internal sealed partial class RawSocket : SafeHandle
{
    public const int MsgDontWait = 0x40;
    public const int MsgTrunc = 0x20;
    private const int SockNonBlock = 0x800;
    private const int SockCloexec = 0x80000;
    private const short PollIn = 0x1;

    private RawSocket()
        : base(-1, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == -1;

    /// <summary>Opens a socket; 0 and the socket, or the errno.</summary>
    public static int TryOpen(int domain, int type, int protocol, out RawSocket? socket)
    {
        var fd = SocketNative(domain, type | SockNonBlock | SockCloexec, protocol);
        if (fd < 0)
        {
            socket = null;
            return Marshal.GetLastPInvokeError();
        }
        socket = new RawSocket();
        socket.SetHandle(fd);
        return 0;
    }

    /// <summary>bind(2) to a raw socket address; 0 or the errno.</summary>
    public unsafe int Bind(ReadOnlySpan<byte> address)
    {
        fixed (byte* a = address)
        {
            return BindNative(this, a, (uint)address.Length) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
    }

    /// <summary>Sends one datagram to the socket's default destination; the byte count or a negative errno.</summary>
    public unsafe int Send(ReadOnlySpan<byte> data)
    {
        fixed (byte* d = data)
        {
            while (true)
            {
                var sent = SendNative(this, d, (nuint)data.Length, MsgDontWait);
                if (sent >= 0)
                {
                    return (int)sent;
                }
                var errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.EINTR)
                {
                    return -errno;
                }
            }
        }
    }

    /// <summary>
    /// Receives one datagram without blocking: its length (with MSG_TRUNC in <paramref name="flags"/>, the full
    /// length even when larger than the buffer) or a negative errno (-EAGAIN when nothing is waiting).
    /// </summary>
    public unsafe int Receive(Span<byte> buffer, int flags, Span<byte> address, out int addressLength)
    {
        fixed (byte* b = buffer)
        fixed (byte* a = address)
        {
            while (true)
            {
                var length = (uint)address.Length;
                var received = RecvFromNative(this, b, (nuint)buffer.Length, flags | MsgDontWait, a, address.IsEmpty ? null : &length);
                if (received >= 0)
                {
                    addressLength = (int)Math.Min(length, (uint)address.Length);
                    return (int)Math.Min(received, int.MaxValue);
                }
                var errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.EINTR)
                {
                    addressLength = 0;
                    return -errno;
                }
            }
        }
    }

    /// <summary>Waits until a datagram can be read: 1 when readable, 0 on timeout or signal, or a negative errno.</summary>
    public unsafe int WaitReadable(int timeoutMs)
    {
        var added = false;
        try
        {
            DangerousAddRef(ref added);
            var poll = new PollFd { Fd = (int)handle, Events = PollIn };
            var rc = PollNative(&poll, 1, timeoutMs);
            if (rc >= 0)
            {
                return rc > 0 ? 1 : 0;
            }
            var errno = Marshal.GetLastPInvokeError();
            return errno == Errno.EINTR ? 0 : -errno;
        }
        finally
        {
            if (added)
            {
                DangerousRelease();
            }
        }
    }

    /// <summary>setsockopt(2) with a raw option value; 0 or the errno.</summary>
    public unsafe int SetOption(int level, int name, ReadOnlySpan<byte> value)
    {
        fixed (byte* v = value)
        {
            return SetSockOptNative(this, level, name, v, (uint)value.Length) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
    }

    public int SetOption(int level, int name, int value) =>
        SetOption(level, name, MemoryMarshal.AsBytes(new ReadOnlySpan<int>(in value)));

    /// <summary>getsockopt(2) into a raw buffer; the length written or a negative errno.</summary>
    public unsafe int GetOption(int level, int name, Span<byte> value)
    {
        fixed (byte* v = value)
        {
            var length = (uint)value.Length;
            return GetSockOptNative(this, level, name, v, &length) == 0 ? (int)length : -Marshal.GetLastPInvokeError();
        }
    }

    /// <summary>The text of an errno, for messages.</summary>
    public static string Describe(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";

    protected override bool ReleaseHandle() => CloseNative((int)handle) == 0;

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int SocketNative(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    private static unsafe partial int BindNative(SafeHandle fd, byte* address, uint length);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    private static unsafe partial nint SendNative(SafeHandle fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "recvfrom", SetLastError = true)]
    private static unsafe partial nint RecvFromNative(SafeHandle fd, byte* buffer, nuint length, int flags, byte* address, uint* addressLength);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static unsafe partial int SetSockOptNative(SafeHandle fd, int level, int name, byte* value, uint length);

    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    private static unsafe partial int GetSockOptNative(SafeHandle fd, int level, int name, byte* value, uint* length);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static unsafe partial int PollNative(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int CloseNative(int fd);
}
