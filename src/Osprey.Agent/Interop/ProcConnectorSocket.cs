using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Osprey.Agent.Interop;

/// <summary>A netlink socket subscribed to the kernel's process-events connector; closed when disposed.</summary>
internal sealed class ProcConnectorSocket : SafeHandleMinusOneIsInvalid
{

    public ProcConnectorSocket()
        : base(ownsHandle: true)
    {
    }

    /// <summary>Opens and binds the socket to the proc-events group; null with the errno when the host refuses.</summary>
    public static ProcConnectorSocket? Open(out int errno)
    {
        var fd = ProcConnector.Socket(ProcConnector.AfNetlink, ProcConnector.SockDgram | ProcConnector.SockCloexec, ProcConnector.NetlinkConnector);
        if (fd < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }
        var socket = new ProcConnectorSocket();
        socket.SetHandle(fd);
        var address = new ProcConnector.SockaddrNl { Family = ProcConnector.AfNetlink, Groups = ProcConnector.CnIdxProc };
        if (ProcConnector.Bind(socket, address, (uint)Marshal.SizeOf<ProcConnector.SockaddrNl>()) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            socket.Dispose();
            return null;
        }
        errno = 0;
        return socket;
    }

    /// <summary>
    /// Sets the receive buffer: SO_RCVBUFFORCE (root may exceed net.core.rmem_max) and, when that is refused,
    /// SO_RCVBUF (capped by rmem_max). Returns the errno of the call that finally failed, 0 on success.
    /// </summary>
    public unsafe int SetReceiveBuffer(int bytes)
    {
        if (ProcConnector.SetSockOpt(this, ProcConnector.SolSocket, ProcConnector.SoRcvbufforce, &bytes, sizeof(int)) == 0)
        {
            return 0;
        }
        return ProcConnector.SetSockOpt(this, ProcConnector.SolSocket, ProcConnector.SoRcvbuf, &bytes, sizeof(int)) == 0
            ? 0
            : Marshal.GetLastPInvokeError();
    }

    /// <summary>Makes a blocking receive return EAGAIN after this long, so the reader can notice cancellation.</summary>
    public unsafe int SetReceiveTimeout(TimeSpan timeout)
    {
        var value = new ProcConnector.Timeval
        {
            Seconds = (long)timeout.TotalSeconds,
            Microseconds = timeout.Microseconds + timeout.Milliseconds * 1000L,
        };
        return ProcConnector.SetSockOpt(this, ProcConnector.SolSocket, ProcConnector.SoRcvtimeo, &value, (uint)sizeof(ProcConnector.Timeval)) == 0
            ? 0
            : Marshal.GetLastPInvokeError();
    }

    /// <summary>
    /// Sends PROC_CN_MCAST_LISTEN (every event type) or PROC_CN_MCAST_IGNORE; the kernel's acknowledgement carries
    /// <paramref name="nonce"/> + 1 in its ack field. Returns the errno, 0 on success.
    /// </summary>
    public unsafe int Listen(uint nonce, uint operation)
    {
        const int length = ProcConnector.NlmsgHeaderSize + ProcConnector.CnMsgSize + sizeof(uint);
        var message = stackalloc byte[length];
        var span = new Span<byte>(message, length);
        span.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(span, length);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], ProcConnector.NlmsgDone);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], nonce);
        BinaryPrimitives.WriteUInt32LittleEndian(span[ProcConnector.CnIdxOffset..], ProcConnector.CnIdxProc);
        BinaryPrimitives.WriteUInt32LittleEndian(span[ProcConnector.CnValOffset..], ProcConnector.CnValProc);
        BinaryPrimitives.WriteUInt32LittleEndian(span[ProcConnector.CnSeqOffset..], nonce);
        BinaryPrimitives.WriteUInt32LittleEndian(span[ProcConnector.CnAckOffset..], nonce);
        BinaryPrimitives.WriteUInt16LittleEndian(span[ProcConnector.CnLenOffset..], sizeof(uint));
        BinaryPrimitives.WriteUInt32LittleEndian(span[ProcConnector.EventOffset..], operation);
        var kernel = new ProcConnector.SockaddrNl { Family = ProcConnector.AfNetlink };
        while (true)
        {
            var sent = ProcConnector.SendTo(this, message, length, 0, kernel, (uint)sizeof(ProcConnector.SockaddrNl));
            if (sent >= 0)
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

    /// <summary>
    /// Receives one datagram sent by the kernel. Returns its length, or -errno (EAGAIN on timeout, ENOBUFS when the
    /// kernel dropped messages because the buffer was full). Datagrams from user space are skipped.
    /// </summary>
    public unsafe int Receive(Span<byte> buffer)
    {
        fixed (byte* pointer = buffer)
        {
            while (true)
            {
                var addressLength = (uint)sizeof(ProcConnector.SockaddrNl);
                var received = ProcConnector.ReceiveFrom(this, pointer, (nuint)buffer.Length, 0, out var from, ref addressLength);
                if (received < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Errno.EINTR)
                    {
                        continue;
                    }
                    return -errno;
                }
                // Only the kernel (port 0) speaks for the connector; anything else is not ours to trust.
                if (from.Pid != 0)
                {
                    continue;
                }
                return (int)received;
            }
        }
    }

    protected override bool ReleaseHandle() => ProcConnector.Close(handle) == 0;
}
