using System.Runtime.InteropServices;

namespace Osprey.Agent.Interop;

/// <summary>A NETLINK_KOBJECT_UEVENT socket: the kernel's device add / remove / change announcements.</summary>
internal static unsafe partial class Uevent
{
    /// <summary>The multicast group the kernel sends to (udevd re-broadcasts enriched messages on group 2).</summary>
    public const uint KernelGroup = 1;

    private const int AfNetlink = 16;
    private const int SockDgram = 2;
    private const int SockNonblock = 0x800;
    private const int SockCloexec = 0x80000;
    private const int NetlinkKobjectUevent = 15;
    private const int SolSocket = 1;
    private const int SoRcvbufForce = 33;
    private const int SoRcvbuf = 8;
    private const int MsgTrunc = 0x20;

    [StructLayout(LayoutKind.Sequential)]
    private struct SockaddrNl
    {
        public ushort Family;
        public ushort Pad;
        public uint Pid;
        public uint Groups;
    }

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int SocketNative(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    private static partial int BindNative(SafeHandle fd, SockaddrNl* address, uint length);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static partial int SetSockOptNative(SafeHandle fd, int level, int name, int* value, uint length);

    [LibraryImport("libc", EntryPoint = "recvfrom", SetLastError = true)]
    private static partial nint RecvFromNative(SafeHandle fd, byte* buffer, nuint length, int flags, SockaddrNl* source, uint* sourceLength);

    /// <summary>Opens a non-blocking uevent socket bound to <paramref name="groups"/> with the receive buffer asked for.</summary>
    public static FileDescriptor Open(uint groups, int receiveBufferBytes)
    {
        var raw = SocketNative(AfNetlink, SockDgram | SockNonblock | SockCloexec, NetlinkKobjectUevent);
        if (raw < 0)
        {
            throw Errno.ToException(Marshal.GetLastPInvokeError(), "socket(NETLINK_KOBJECT_UEVENT)");
        }
        var fd = new FileDescriptor(raw);
        try
        {
            var size = receiveBufferBytes;
            // SO_RCVBUFFORCE passes rmem_max as root; without CAP_NET_ADMIN fall back to the capped SO_RCVBUF.
            if (SetSockOptNative(fd, SolSocket, SoRcvbufForce, &size, sizeof(int)) != 0
                && SetSockOptNative(fd, SolSocket, SoRcvbuf, &size, sizeof(int)) != 0)
            {
                throw Errno.ToException(Marshal.GetLastPInvokeError(), "setsockopt(SO_RCVBUF)");
            }
            var address = new SockaddrNl { Family = AfNetlink, Groups = groups };
            if (BindNative(fd, &address, (uint)sizeof(SockaddrNl)) != 0)
            {
                throw Errno.ToException(Marshal.GetLastPInvokeError(), "bind(NETLINK_KOBJECT_UEVENT)");
            }
            return fd;
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>Outcome of one receive.</summary>
    public enum ReceiveStatus
    {
        /// <summary>A datagram was read.</summary>
        Message,
        /// <summary>Nothing is waiting.</summary>
        Empty,
        /// <summary>The socket buffer overflowed and the kernel dropped messages (ENOBUFS).</summary>
        Overflow,
    }

    /// <summary>
    /// Receives one datagram. <paramref name="length"/> is its full length (larger than the buffer when it was
    /// truncated); <paramref name="senderPort"/> is the netlink port of the sender, 0 for the kernel.
    /// </summary>
    public static ReceiveStatus Receive(FileDescriptor fd, Span<byte> buffer, out int length, out uint senderPort, out uint senderGroups)
    {
        length = 0;
        senderPort = 0;
        senderGroups = 0;
        fixed (byte* p = buffer)
        {
            while (true)
            {
                SockaddrNl source = default;
                var sourceLength = (uint)sizeof(SockaddrNl);
                var n = RecvFromNative(fd, p, (nuint)buffer.Length, MsgTrunc, &source, &sourceLength);
                if (n >= 0)
                {
                    length = (int)Math.Min(n, int.MaxValue);
                    senderPort = source.Pid;
                    senderGroups = source.Groups;
                    return ReceiveStatus.Message;
                }
                var errno = Marshal.GetLastPInvokeError();
                switch (errno)
                {
                    case Errno.EINTR:
                        continue;
                    case Errno.EAGAIN:
                        return ReceiveStatus.Empty;
                    case Errno.ENOBUFS:
                        return ReceiveStatus.Overflow;
                    default:
                        throw Errno.ToException(errno, "recvfrom(NETLINK_KOBJECT_UEVENT)");
                }
            }
        }
    }
}
