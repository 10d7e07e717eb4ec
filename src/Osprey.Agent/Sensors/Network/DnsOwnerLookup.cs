using Osprey.Agent.Interop;
using Osprey.Agent.Sensors.Processes;

namespace Osprey.Agent.Sensors.Network;

/// <summary>
/// Finds the process behind a DNS client's socket: sock_diag looks the socket up exactly (its inode and uid), then
/// /proc/PID/fd names its holder. Full /proc scans are limited per second; beyond the budget only the processes
/// of recent queries are tried.
/// </summary>
internal sealed class DnsOwnerLookup(SockDiagClient? diag, SocketOwners owners, TimeProvider time, int maxScansPerSecond)
{
    private double _tokens = maxScansPerSecond;
    private long _refilledAt = time.GetTimestamp();

    public (ProcessInfo? Owner, uint? Uid) Find(DnsFlow flow)
    {
        if (diag is null)
        {
            return (null, null);
        }
        Span<byte> client = stackalloc byte[16];
        Span<byte> server = stackalloc byte[16];
        client.Clear();
        server.Clear();
        flow.Client.WriteTo(client);
        flow.Server.WriteTo(server);
        var family = flow.Client.IsIPv4 ? SockDiag.AfInet : SockDiag.AfInet6;
        // The kernel reads the ID as a packet to the socket for UDP (source = remote end) and as the socket itself for TCP.
        var socket = flow.Protocol == TransportSegment.Udp
            ? diag.Lookup(family, SockDiag.IpProtoUdp, new DiagSocketId
            {
                Source = server, SourcePort = flow.ServerPort, Destination = client, DestinationPort = flow.ClientPort,
            })
            : diag.Lookup(family, SockDiag.IpProtoTcp, new DiagSocketId
            {
                Source = client, SourcePort = flow.ClientPort, Destination = server, DestinationPort = flow.ServerPort,
            });
        if (socket is not { } found)
        {
            return (null, null);
        }
        if (found.Inode != 0 && owners.Cached(found.Inode) is null)
        {
            owners.Resolve([found.Inode], TryTakeScan());
        }
        return (owners.Cached(found.Inode), found.Uid);
    }

    private bool TryTakeScan()
    {
        var now = time.GetTimestamp();
        _tokens = Math.Min(maxScansPerSecond, _tokens + time.GetElapsedTime(_refilledAt, now).TotalSeconds * maxScansPerSecond);
        _refilledAt = now;
        if (_tokens < 1)
        {
            return false;
        }
        _tokens--;
        return true;
    }
}
