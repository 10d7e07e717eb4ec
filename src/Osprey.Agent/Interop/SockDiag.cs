using System.Buffers.Binary;

namespace Osprey.Agent.Interop;

/// <summary>
/// The sock_diag netlink protocol (linux/netlink.h, linux/sock_diag.h, linux/inet_diag.h): constants, the
/// layout of nlmsghdr, inet_diag_req_v2 and inet_diag_msg, and the encoding of a request.
/// </summary>
internal static class SockDiag
{
    public const int AfNetlink = 16;
    public const int SockRaw = 3;
    public const int NetlinkSockDiag = 4;
    public const byte AfInet = 2;
    public const byte AfInet6 = 10;
    public const byte IpProtoTcp = 6;
    public const byte IpProtoUdp = 17;

    public const ushort NlmsgNoop = 1;
    public const ushort NlmsgError = 2;
    public const ushort NlmsgDone = 3;
    public const ushort NlmsgOverrun = 4;
    public const ushort SockDiagByFamily = 20;

    public const ushort NlmFRequest = 0x1;
    public const ushort NlmFMulti = 0x2;
    public const ushort NlmFDumpIntr = 0x10;
    public const ushort NlmFDump = 0x300;

    /// <summary>struct nlmsghdr: len u32, type u16, flags u16, seq u32, pid u32.</summary>
    public const int NlmsgHeaderLength = 16;

    /// <summary>struct inet_diag_sockid: sport, dport (big-endian u16), src[4], dst[4] (big-endian), if u32, cookie u32[2].</summary>
    public const int SockIdLength = 48;

    /// <summary>struct inet_diag_req_v2: family, protocol, ext, pad (u8 each), states u32, then the socket ID.</summary>
    public const int ReqV2Length = 8 + SockIdLength;

    /// <summary>struct inet_diag_msg: family, state, timer, retrans (u8 each), socket ID, expires, rqueue, wqueue, uid, inode (u32 each).</summary>
    public const int DiagMsgLength = 4 + SockIdLength + 20;

    public const int RequestLength = NlmsgHeaderLength + ReqV2Length;

    /// <summary>struct rtattr: len u16, type u16.</summary>
    public const int RtattrHeaderLength = 4;

    public const int TcpEstablished = 1;
    public const int TcpSynSent = 2;
    public const int TcpSynRecv = 3;
    public const int TcpFinWait1 = 4;
    public const int TcpFinWait2 = 5;
    public const int TcpTimeWait = 6;
    public const int TcpClose = 7;
    public const int TcpCloseWait = 8;
    public const int TcpLastAck = 9;
    public const int TcpListen = 10;
    public const int TcpClosing = 11;

    public static int Align(int length) => (length + 3) & ~3;

    /// <summary>
    /// Writes a SOCK_DIAG_BY_FAMILY request: a dump of every socket of the family and protocol in
    /// <paramref name="states"/> (a bit per TCP state), or, without <paramref name="dump"/>, the one socket
    /// <paramref name="id"/> names (its cookie set to INET_DIAG_NOCOOKIE).
    /// </summary>
    public static void WriteRequest(Span<byte> destination, uint sequence, byte family, byte protocol, uint states, bool dump, in DiagSocketId id)
    {
        var request = destination[..RequestLength];
        request.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(request, RequestLength);
        BinaryPrimitives.WriteUInt16LittleEndian(request[4..], SockDiagByFamily);
        BinaryPrimitives.WriteUInt16LittleEndian(request[6..], (ushort)(NlmFRequest | (dump ? NlmFDump : 0)));
        BinaryPrimitives.WriteUInt32LittleEndian(request[8..], sequence);
        var body = request[NlmsgHeaderLength..];
        body[0] = family;
        body[1] = protocol;
        BinaryPrimitives.WriteUInt32LittleEndian(body[4..], states);
        var sockId = body[8..];
        BinaryPrimitives.WriteUInt16BigEndian(sockId, id.SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(sockId[2..], id.DestinationPort);
        id.Source.CopyTo(sockId.Slice(4, 16));
        id.Destination.CopyTo(sockId.Slice(20, 16));
        BinaryPrimitives.WriteUInt32LittleEndian(sockId[36..], id.Interface);
        sockId.Slice(40, 8).Fill(0xff);
    }
}

/// <summary>
/// The socket an exact sock_diag request names. Addresses are 16 bytes in network order (an IPv4 address in the
/// first 4). The kernel reads them differently by protocol: for TCP Source is the local end, for UDP the remote one.
/// </summary>
internal readonly ref struct DiagSocketId
{
    public ushort SourcePort { get; init; }
    public ushort DestinationPort { get; init; }
    public ReadOnlySpan<byte> Source { get; init; }
    public ReadOnlySpan<byte> Destination { get; init; }
    public uint Interface { get; init; }
}
