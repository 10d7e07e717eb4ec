using Osprey.Agent.Interop;

namespace Osprey.Agent.Sensors.Network;

/// <summary>How a sock_diag dump ended.</summary>
public enum DumpOutcome
{
    /// <summary>Every socket was listed.</summary>
    Complete,

    /// <summary>The list may miss sockets (interrupted, malformed or timed out); the socket was reopened.</summary>
    Incomplete,

    /// <summary>The kernel refused the request (the errno says why: ENOENT when the protocol's diag module is missing).</summary>
    Refused,
}

/// <summary>
/// A NETLINK_SOCK_DIAG socket that lists sockets (dumps) and looks one up exactly. Not thread-safe: each sensor
/// owns one. After a reply it could not read to the end it reopens the socket, so a late datagram of an old
/// request never mixes into a new one.
/// </summary>
internal sealed class SockDiagClient : IDisposable
{
    private const int ReplyTimeoutMs = 1000;
    private const int MaxDatagramsPerReply = 1 << 16;
    // The kernel fills dump datagrams up to 32 KiB; twice that leaves room and MSG_TRUNC tells when it did not.
    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly byte[] _request = new byte[SockDiag.RequestLength];
    private RawSocket _socket;
    private uint _sequence;

    private SockDiagClient(RawSocket socket) => _socket = socket;

    /// <summary>The errno of the last refused or failed request.</summary>
    public int LastErrno { get; private set; }

    /// <summary>Messages skipped as malformed since the client opened.</summary>
    public long Skipped { get; private set; }

    /// <summary>Opens the netlink socket; 0 and the client, or the errno (EPROTONOSUPPORT without sock_diag).</summary>
    public static int TryOpen(out SockDiagClient? client)
    {
        var errno = RawSocket.TryOpen(SockDiag.AfNetlink, SockDiag.SockRaw, SockDiag.NetlinkSockDiag, out var socket);
        client = errno == 0 ? new SockDiagClient(socket!) : null;
        return errno;
    }

    /// <summary>Appends every socket of the family and protocol whose TCP state bit is in <paramref name="states"/>.</summary>
    public DumpOutcome Dump(byte family, byte protocol, uint states, List<DiagSocket> into)
    {
        var sequence = NextSequence();
        SockDiag.WriteRequest(_request, sequence, family, protocol, states, dump: true, default);
        return Exchange(sequence, into);
    }

    /// <summary>The one socket the ID names; null when there is none (or the lookup failed).</summary>
    public DiagSocket? Lookup(byte family, byte protocol, in DiagSocketId id)
    {
        var sequence = NextSequence();
        SockDiag.WriteRequest(_request, sequence, family, protocol, uint.MaxValue, dump: false, id);
        var found = new List<DiagSocket>(1);
        return Exchange(sequence, found) == DumpOutcome.Complete && found.Count > 0 ? found[0] : null;
    }

    public void Dispose() => _socket.Dispose();

    private uint NextSequence() => ++_sequence == 0 ? ++_sequence : _sequence;

    private DumpOutcome Exchange(uint sequence, List<DiagSocket> into)
    {
        var sent = _socket.Send(_request);
        if (sent != _request.Length)
        {
            LastErrno = sent < 0 ? -sent : 0;
            Reopen();
            return DumpOutcome.Incomplete;
        }
        for (var datagrams = 0; datagrams < MaxDatagramsPerReply; datagrams++)
        {
            var received = _socket.Receive(_buffer, RawSocket.MsgTrunc, [], out _);
            if (received == -Errno.EAGAIN)
            {
                if (_socket.WaitReadable(ReplyTimeoutMs) <= 0)
                {
                    break;
                }
                continue;
            }
            if (received < 0 || received > _buffer.Length)
            {
                LastErrno = received < 0 ? -received : 0;
                break;
            }
            var result = SockDiagReply.Parse(_buffer.AsSpan(0, received), sequence, into);
            Skipped += result.Skipped;
            switch (result.Status)
            {
                case DiagReplyStatus.More:
                    continue;
                case DiagReplyStatus.Done:
                    if (!result.Interrupted)
                    {
                        return DumpOutcome.Complete;
                    }
                    // The kernel's tables changed during the dump: what was listed is right but may be short.
                    return DumpOutcome.Incomplete;
                case DiagReplyStatus.Error:
                    LastErrno = result.Errno;
                    return DumpOutcome.Refused;
                default:
                    Reopen();
                    return DumpOutcome.Incomplete;
            }
        }
        Reopen();
        return DumpOutcome.Incomplete;
    }

    private void Reopen()
    {
        if (RawSocket.TryOpen(SockDiag.AfNetlink, SockDiag.SockRaw, SockDiag.NetlinkSockDiag, out var socket) == 0)
        {
            _socket.Dispose();
            _socket = socket!;
        }
    }
}
