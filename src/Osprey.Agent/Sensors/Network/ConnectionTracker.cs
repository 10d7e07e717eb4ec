using Microsoft.Extensions.Logging;
using Osprey.Agent.Interop;
using Osprey.Agent.Sensors.Processes;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Sensors.Network;

/// <summary>
/// The sockets of this host between two sock_diag listings, keyed by socket cookie (unique for a socket's life):
/// each listing reports what is new since the previous one, and forgets what a complete listing no longer shows.
/// </summary>
internal sealed class ConnectionTracker
{
    private const uint TcpStates =
        1u << SockDiag.TcpEstablished | 1u << SockDiag.TcpFinWait1 | 1u << SockDiag.TcpFinWait2 | 1u << SockDiag.TcpCloseWait
        | 1u << SockDiag.TcpLastAck | 1u << SockDiag.TcpClosing | 1u << SockDiag.TcpListen;

    private static readonly (byte Family, byte Protocol)[] Categories =
    [
        (SockDiag.AfInet, SockDiag.IpProtoTcp), (SockDiag.AfInet6, SockDiag.IpProtoTcp),
        (SockDiag.AfInet, SockDiag.IpProtoUdp), (SockDiag.AfInet6, SockDiag.IpProtoUdp),
    ];

    private readonly NetworkSensorOptions _options;
    private readonly SensorContext _context;
    private readonly SockDiagClient _client;
    private readonly SocketOwners _owners;
    private readonly Dictionary<(ulong Cookie, bool Listener), Tracked> _known = [];
    private readonly Dictionary<(byte Protocol, ushort Port), List<Tracked>> _listeners = [];
    private readonly bool[] _refused = new bool[Categories.Length];
    private readonly bool[] _complete = new bool[Categories.Length];
    private readonly List<DiagSocket> _listing = [];
    private readonly List<Tracked> _fresh = [];
    private long _generation;
    private bool _overCapacity;

    public ConnectionTracker(NetworkSensorOptions options, SensorContext context, SockDiagClient client)
    {
        _options = options;
        _context = context;
        _client = client;
        _owners = new SocketOwners(context.Processes, Math.Min(options.MaxTrackedSockets, 65_536));
    }

    public int Count => _known.Count;

    /// <summary>True when TCP over IPv4, the one listing every Linux host has, is refused.</summary>
    public bool TcpUnavailable => _refused[0];

    public int TcpErrno { get; private set; }

    /// <summary>Lists every socket; new ones are reported unless this listing is the baseline.</summary>
    public void Poll(bool baseline)
    {
        _generation++;
        _fresh.Clear();
        var untracked = 0;
        for (var c = 0; c < Categories.Length; c++)
        {
            _complete[c] = false;
            if (_refused[c])
            {
                continue;
            }
            var (family, protocol) = Categories[c];
            _listing.Clear();
            var outcome = _client.Dump(family, protocol, StatesOf(protocol), _listing);
            if (outcome == DumpOutcome.Refused)
            {
                _refused[c] = true;
                if (c == 0)
                {
                    TcpErrno = _client.LastErrno;
                }
                _context.Logger.CategoryRefused(FamilyName(family), ProtocolName(protocol), RawSocket.Describe(_client.LastErrno));
                continue;
            }
            if (outcome == DumpOutcome.Incomplete)
            {
                _context.Logger.ListingIncomplete(FamilyName(family), ProtocolName(protocol), _client.LastErrno == 0 ? "interrupted or unreadable" : RawSocket.Describe(_client.LastErrno));
            }
            _complete[c] = outcome == DumpOutcome.Complete;
            foreach (var socket in _listing)
            {
                untracked += Track(socket, protocol, c, baseline) ? 0 : 1;
            }
        }
        Prune();
        if (untracked > 0 != _overCapacity)
        {
            _overCapacity = untracked > 0;
            if (_overCapacity)
            {
                _context.Logger.TooManySockets(untracked, _options.MaxTrackedSockets);
                _context.Health.ReportLoss(untracked, "more sockets than network.maxTrackedSockets; new ones are not reported");
            }
        }
        if (_fresh.Count == 0)
        {
            return;
        }
        _owners.Resolve(_fresh.Select(t => t.Socket.Inode), allowFullScan: true);
        foreach (var tracked in _fresh)
        {
            if (tracked.Listener)
            {
                ReportListener(tracked);
            }
        }
        foreach (var tracked in _fresh)
        {
            if (!tracked.Listener)
            {
                ReportConnection(tracked);
            }
        }
        _context.Logger.Polled(_known.Count, _fresh.Count, _owners.Count, _owners.FullScans);
    }

    private uint StatesOf(byte protocol) =>
        protocol == SockDiag.IpProtoTcp ? TcpStates
        : 1u << SockDiag.TcpClose | (_options.UdpConnections ? 1u << SockDiag.TcpEstablished : 0);

    /// <summary>Marks a listed socket as present; false when it is new and there is no room to track it.</summary>
    private bool Track(in DiagSocket socket, byte protocol, int category, bool baseline)
    {
        var listener = protocol == SockDiag.IpProtoTcp ? socket.State == SockDiag.TcpListen : socket.State == SockDiag.TcpClose;
        if (_known.TryGetValue((socket.Cookie, listener), out var tracked))
        {
            tracked.Generation = _generation;
            tracked.Socket = socket;
            if (!tracked.Reported)
            {
                _fresh.Add(tracked);
            }
            return true;
        }
        if (_known.Count >= _options.MaxTrackedSockets)
        {
            return false;
        }
        tracked = new Tracked
        {
            Socket = socket, Protocol = protocol, Category = category, Listener = listener, Generation = _generation,
            Reported = baseline && !_options.ReportExistingAtStart,
        };
        _known[(socket.Cookie, listener)] = tracked;
        if (listener)
        {
            var key = (protocol, socket.LocalPort);
            if (!_listeners.TryGetValue(key, out var list))
            {
                _listeners[key] = list = [];
            }
            list.Add(tracked);
        }
        if (!tracked.Reported)
        {
            _fresh.Add(tracked);
        }
        return true;
    }

    private void Prune()
    {
        foreach (var (key, tracked) in _known)
        {
            if (tracked.Generation == _generation || !_complete[tracked.Category])
            {
                continue;
            }
            _known.Remove(key);
            _owners.Forget(tracked.Socket.Inode);
            if (tracked.Listener && _listeners.TryGetValue((tracked.Protocol, tracked.Socket.LocalPort), out var list))
            {
                list.Remove(tracked);
                if (list.Count == 0)
                {
                    _listeners.Remove((tracked.Protocol, tracked.Socket.LocalPort));
                }
            }
        }
    }

    private void ReportListener(Tracked tracked)
    {
        var socket = tracked.Socket;
        tracked.Owner = _owners.Cached(socket.Inode);
        var e = NetworkEvents.Create(_context, EventType.PortListen, tracked.Owner, socket.Uid);
        e.PortListen = new PortListenEvent
        {
            LocalIp = socket.LocalAddress.ToString(),
            LocalPort = socket.LocalPort,
            Protocol = ProtocolName(tracked.Protocol),
        };
        tracked.Reported = true;
        _context.Emit(e);
    }

    private void ReportConnection(Tracked tracked)
    {
        var socket = tracked.Socket;
        var listener = ListenerOf(tracked);
        var owner = _owners.Cached(socket.Inode);
        if (owner is null && socket.Inode == 0)
        {
            // Established but not accepted yet: the socket has no file, hence no owner, until the application accepts it.
            if (listener is not null && socket.State is SockDiag.TcpEstablished or SockDiag.TcpCloseWait && tracked.Waited < _options.AcceptGracePolls)
            {
                tracked.Waited++;
                return;
            }
            if (listener is not null)
            {
                if (listener.Owner is null && listener.Socket.Inode != 0)
                {
                    _owners.Resolve([listener.Socket.Inode], allowFullScan: true);
                    listener.Owner = _owners.Cached(listener.Socket.Inode);
                }
                owner = listener.Owner;
            }
        }
        var e = NetworkEvents.Create(_context, EventType.NetworkConnection, owner, socket.Uid);
        e.NetworkConnection = new NetworkConnectionEvent
        {
            LocalIp = socket.LocalAddress.ToString(),
            LocalPort = socket.LocalPort,
            RemoteIp = socket.RemoteAddress.ToString(),
            RemotePort = socket.RemotePort,
            Protocol = ProtocolName(tracked.Protocol),
            Direction = listener is null ? Direction.Outbound : Direction.Inbound,
        };
        tracked.Reported = true;
        _context.Emit(e);
    }

    /// <summary>The listening socket a connection came in through: same protocol and local port, same or wildcard address.</summary>
    private Tracked? ListenerOf(Tracked connection)
    {
        if (!_listeners.TryGetValue((connection.Protocol, connection.Socket.LocalPort), out var list))
        {
            return null;
        }
        Tracked? wildcard = null;
        foreach (var listener in list)
        {
            if (listener.Socket.LocalAddress == connection.Socket.LocalAddress)
            {
                return listener;
            }
            wildcard ??= listener.Socket.LocalAddress.IsUnspecified ? listener : null;
        }
        return wildcard;
    }

    internal static string ProtocolName(byte protocol) => protocol == SockDiag.IpProtoTcp ? "tcp" : "udp";

    private static string FamilyName(byte family) => family == SockDiag.AfInet ? "IPv4" : "IPv6";

    private sealed class Tracked
    {
        public DiagSocket Socket;
        public byte Protocol;
        public int Category;
        public bool Listener;
        public long Generation;
        public bool Reported;
        public int Waited;
        public ProcessInfo? Owner;
    }
}
