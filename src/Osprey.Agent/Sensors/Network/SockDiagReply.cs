using System.Buffers.Binary;
using Osprey.Agent.Interop;

namespace Osprey.Agent.Sensors.Network;

/// <summary>How far a sock_diag reply has got after one datagram.</summary>
public enum DiagReplyStatus
{
    /// <summary>The datagram was read; more of the reply follows.</summary>
    More,

    /// <summary>The reply is complete (NLMSG_DONE, an ACK, or the single answer to an exact request).</summary>
    Done,

    /// <summary>The kernel answered NLMSG_ERROR (or a failed NLMSG_DONE) with an errno.</summary>
    Error,

    /// <summary>The datagram's framing cannot be trusted; the rest of the reply is unknown.</summary>
    Malformed,
}

/// <summary>What one datagram of a sock_diag reply held.</summary>
public readonly record struct DiagReplyResult(DiagReplyStatus Status, int Errno, int Skipped, bool Interrupted);

/// <summary>
/// Reads sock_diag reply datagrams with a bounds check on every length (nlmsghdr, inet_diag_msg, rtattr):
/// a message that does not fit is skipped and counted, a header that does not fit ends the datagram, and
/// nothing is read outside the buffer. Messages of another request (another sequence number) are ignored.
/// </summary>
public static class SockDiagReply
{
    public static DiagReplyResult Parse(ReadOnlySpan<byte> datagram, uint sequence, List<DiagSocket> sockets)
    {
        var skipped = 0;
        var interrupted = false;
        var offset = 0;
        while (datagram.Length - offset >= SockDiag.NlmsgHeaderLength)
        {
            var header = datagram[offset..];
            var length = BinaryPrimitives.ReadUInt32LittleEndian(header);
            if (length < SockDiag.NlmsgHeaderLength || length > (uint)header.Length)
            {
                return new(DiagReplyStatus.Malformed, 0, skipped, interrupted);
            }
            var type = BinaryPrimitives.ReadUInt16LittleEndian(header[4..]);
            var flags = BinaryPrimitives.ReadUInt16LittleEndian(header[6..]);
            var seq = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
            var payload = header[SockDiag.NlmsgHeaderLength..(int)length];
            offset += Math.Min(SockDiag.Align((int)length), header.Length);
            if (seq != sequence)
            {
                continue;
            }
            interrupted |= (flags & SockDiag.NlmFDumpIntr) != 0;
            switch (type)
            {
                case SockDiag.NlmsgNoop:
                    continue;
                case SockDiag.NlmsgError:
                    if (payload.Length < 4)
                    {
                        return new(DiagReplyStatus.Malformed, 0, skipped, interrupted);
                    }
                    var error = BinaryPrimitives.ReadInt32LittleEndian(payload);
                    return error == 0
                        ? new(DiagReplyStatus.Done, 0, skipped, interrupted)
                        : new(DiagReplyStatus.Error, error == int.MinValue ? int.MaxValue : Math.Abs(error), skipped, interrupted);
                case SockDiag.NlmsgDone:
                    // A dump that failed part-way says so in NLMSG_DONE's payload.
                    var status = payload.Length >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(payload) : 0;
                    return status < 0
                        ? new(DiagReplyStatus.Error, status == int.MinValue ? int.MaxValue : -status, skipped, interrupted)
                        : new(DiagReplyStatus.Done, 0, skipped, interrupted);
                case SockDiag.NlmsgOverrun:
                    return new(DiagReplyStatus.Malformed, 0, skipped, interrupted);
                case SockDiag.SockDiagByFamily:
                    if (TryReadSocket(payload, out var socket))
                    {
                        sockets.Add(socket);
                    }
                    else
                    {
                        skipped++;
                    }
                    if ((flags & SockDiag.NlmFMulti) == 0)
                    {
                        // The answer to an exact (non-dump) request is one message without NLM_F_MULTI.
                        return new(DiagReplyStatus.Done, 0, skipped, interrupted);
                    }
                    continue;
                default:
                    skipped++;
                    continue;
            }
        }
        return new(offset == datagram.Length ? DiagReplyStatus.More : DiagReplyStatus.Malformed, 0, skipped, interrupted);
    }

    /// <summary>Reads struct inet_diag_msg and checks the attributes after it; false when any length is wrong.</summary>
    public static bool TryReadSocket(ReadOnlySpan<byte> payload, out DiagSocket socket)
    {
        socket = default;
        if (payload.Length < SockDiag.DiagMsgLength)
        {
            return false;
        }
        var family = payload[0];
        if (family is not (SockDiag.AfInet or SockDiag.AfInet6))
        {
            return false;
        }
        var id = payload.Slice(4, SockDiag.SockIdLength);
        var local = family == SockDiag.AfInet ? NetAddress.FromIPv4(id.Slice(4, 4)) : NetAddress.FromIPv6(id.Slice(4, 16));
        var remote = family == SockDiag.AfInet ? NetAddress.FromIPv4(id.Slice(20, 4)) : NetAddress.FromIPv6(id.Slice(20, 16));
        var cookie = BinaryPrimitives.ReadUInt32LittleEndian(id[40..]) | ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(id[44..]) << 32);
        var tail = payload[(4 + SockDiag.SockIdLength)..];
        socket = new DiagSocket(
            family,
            payload[1],
            local,
            BinaryPrimitives.ReadUInt16BigEndian(id),
            remote,
            BinaryPrimitives.ReadUInt16BigEndian(id[2..]),
            BinaryPrimitives.ReadUInt32LittleEndian(id[36..]),
            cookie,
            BinaryPrimitives.ReadUInt32LittleEndian(tail[12..]),
            BinaryPrimitives.ReadUInt32LittleEndian(tail[16..]));
        return AttributesAreWellFormed(payload.Length > SockDiag.DiagMsgLength ? payload[Math.Min(payload.Length, SockDiag.Align(SockDiag.DiagMsgLength))..] : []);
    }

    private static bool AttributesAreWellFormed(ReadOnlySpan<byte> attributes)
    {
        while (attributes.Length >= SockDiag.RtattrHeaderLength)
        {
            var length = BinaryPrimitives.ReadUInt16LittleEndian(attributes);
            if (length < SockDiag.RtattrHeaderLength || length > attributes.Length)
            {
                return false;
            }
            attributes = attributes[Math.Min(SockDiag.Align(length), attributes.Length)..];
        }
        return attributes.IsEmpty;
    }
}
