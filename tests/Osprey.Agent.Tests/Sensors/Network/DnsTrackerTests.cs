using Microsoft.Extensions.Logging.Abstractions;
using Osprey.Agent.Configuration;
using Osprey.Agent.Sensors;
using Osprey.Agent.Sensors.Hashing;
using Osprey.Agent.Sensors.Network;
using Osprey.Agent.Sensors.Processes;
using Osprey.Contracts.V1;
using Osprey.Testing.Network;

namespace Osprey.Agent.Tests.Sensors.Network;

/// <summary>Matching of queries and responses, on packets the test writes and a clock it moves.</summary>
public sealed class DnsTrackerTests : IEventSink
{
    private static readonly byte[] Client = [10, 0, 0, 5];
    private static readonly byte[] Server = [10, 0, 0, 53];
    private readonly List<Event> _events = [];
    private readonly List<DnsFlow> _lookups = [];
    private readonly ManualClock _clock = new();
    private readonly SensorContext _context;
    private readonly ProcessInfo _self;

    public DnsTrackerTests()
    {
        var hasher = new FileHasher(1 << 20);
        var users = new UserDirectory();
        var processes = new ProcessTable(ProcessIdentity.ForThisBoot("tracker-test"), hasher, users, []);
        _self = processes.Get(Environment.ProcessId)!;
        _context = new SensorContext
        {
            Sink = this, Processes = processes, Hasher = hasher, Users = users, Options = new AgentOptions(),
            Health = new SensorHealth("dns"), Time = _clock, Logger = NullLogger.Instance,
        };
    }

    bool IEventSink.TryEmit(Event e)
    {
        _events.Add(e);
        return true;
    }

    [Fact]
    public void QueryAndResponse_AreOneEventAtTheQuerysTime()
    {
        var tracker = NewTracker();
        var query = DnsWire.Query(10, "match.test", 1);
        tracker.OnPacket(DnsWire.Udp4(Client, 40000, Server, 53, query), sentByThisHost: true, deliveredToThisHost: false);
        var queriedUs = _context.NowUs();
        _clock.Advance(TimeSpan.FromMilliseconds(30));
        tracker.OnPacket(DnsWire.Udp4(Server, 53, Client, 40000, DnsWire.Response(query, 0, (1, [192, 0, 2, 10]))), sentByThisHost: false, deliveredToThisHost: true);

        var e = Assert.Single(_events);
        Assert.Equal(EventType.DnsQuery, e.Type);
        Assert.Equal(queriedUs, e.TimeUs);
        Assert.Equal("match.test", e.DnsQuery.Name);
        Assert.Equal(["192.0.2.10"], e.DnsQuery.ResolvedIps);
        Assert.Equal("10.0.0.53", e.DnsQuery.DnsServer);
        Assert.Equal("NOERROR", e.DnsQuery.ResponseCode);
        Assert.Equal(_self.UniquePid, e.Process.UniquePid);
        Assert.Equal(_self.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture), e.User.Id);
        var lookup = Assert.Single(_lookups);
        Assert.Equal(new DnsFlow(17, NetAddress.FromIPv4(Client), 40000, NetAddress.FromIPv4(Server), 53), lookup);
        Assert.Equal(0, tracker.PendingCount);
    }

    [Fact]
    public void ResponseToAnotherPortOrId_DoesNotMatch()
    {
        var tracker = NewTracker();
        var query = DnsWire.Query(11, "strict.test", 1);
        tracker.OnPacket(DnsWire.Udp4(Client, 40000, Server, 53, query), true, false);
        tracker.OnPacket(DnsWire.Udp4(Server, 53, Client, 40001, DnsWire.Response(query, 0)), false, true);
        tracker.OnPacket(DnsWire.Udp4(Server, 53, Client, 40000, DnsWire.Response(DnsWire.Query(12, "strict.test", 1), 0)), false, true);

        // Both responses stand alone; the query still waits.
        Assert.Equal(2, _events.Count);
        Assert.Equal(1, tracker.PendingCount);
    }

    [Fact]
    public void UnansweredQuery_IsReportedAfterTheTimeoutOnly()
    {
        var tracker = NewTracker();
        tracker.OnPacket(DnsWire.Udp4(Client, 40000, Server, 53, DnsWire.Query(13, "late.test", 28)), true, false);
        _clock.Advance(TimeSpan.FromMilliseconds(999));
        tracker.Sweep();
        Assert.Empty(_events);
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        tracker.Sweep();
        var e = Assert.Single(_events);
        Assert.Equal("late.test", e.DnsQuery.Name);
        Assert.Equal("AAAA", e.DnsQuery.QueryType);
        Assert.Equal("", e.DnsQuery.ResponseCode);
    }

    [Fact]
    public void RetransmittedQueryAndRepeatedResponse_GiveOneEvent()
    {
        var tracker = NewTracker();
        var query = DnsWire.Query(14, "twice.test", 1);
        var response = DnsWire.Response(query, 3);
        tracker.OnPacket(DnsWire.Udp4(Client, 40000, Server, 53, query), true, false);
        tracker.OnPacket(DnsWire.Udp4(Client, 40000, Server, 53, query), true, false);
        tracker.OnPacket(DnsWire.Udp4(Server, 53, Client, 40000, response), false, true);
        tracker.OnPacket(DnsWire.Udp4(Server, 53, Client, 40000, response), false, true);
        Assert.Equal("NXDOMAIN", Assert.Single(_events).DnsQuery.ResponseCode);
        Assert.Single(_lookups);
    }

    [Fact]
    public void ResponseWithoutItsQuery_IsReportedAlone()
    {
        var tracker = NewTracker();
        var query = DnsWire.Query(15, "orphan.test", 1);
        tracker.OnPacket(DnsWire.Udp4(Server, 53, Client, 40000, DnsWire.Response(query, 0, (1, [192, 0, 2, 15]))), false, true);
        var e = Assert.Single(_events);
        Assert.Equal(["192.0.2.15"], e.DnsQuery.ResolvedIps);
        Assert.Single(_lookups);
    }

    [Fact]
    public void QueryFromAnotherHost_IsNotLookedUp()
    {
        var tracker = NewTracker();
        tracker.OnPacket(DnsWire.Udp4(Client, 40000, Server, 53, DnsWire.Query(16, "remote.test", 1)), sentByThisHost: false, deliveredToThisHost: true);
        tracker.Flush();
        var e = Assert.Single(_events);
        Assert.Empty(_lookups);
        Assert.Null(e.Process);
        Assert.Null(e.User);
    }

    [Fact]
    public void TcpSegment_WithTwoMessages_ReadsBoth()
    {
        var tracker = NewTracker();
        byte[] client6 = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5];
        byte[] server6 = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53];
        var first = DnsWire.Query(17, "one.test", 1);
        var second = DnsWire.Query(18, "two.test", 1);
        tracker.OnPacket(DnsWire.Tcp6(client6, 41000, server6, 53, [.. DnsWire.WithLengthPrefix(first), .. DnsWire.WithLengthPrefix(second)]), true, false);
        var responses = DnsWire.WithLengthPrefix(DnsWire.Response(first, 0, (1, [192, 0, 2, 1])));
        // The second response is cut: only the whole message is read.
        byte[] cut = [.. DnsWire.WithLengthPrefix(DnsWire.Response(second, 0))];
        tracker.OnPacket(DnsWire.Tcp6(server6, 53, client6, 41000, [.. responses, .. cut[..^3]]), false, true);

        var e = Assert.Single(_events);
        Assert.Equal("one.test", e.DnsQuery.Name);
        Assert.Equal("fd00::53", e.DnsQuery.DnsServer);
        Assert.Equal(1, tracker.PendingCount);
    }

    [Fact]
    public void FullPendingTable_DropsTheOldestAndCountsIt()
    {
        var tracker = NewTracker(new DnsSensorOptions { ResponseTimeoutMs = 1000, MaxPendingQueries = 16 });
        for (ushort id = 0; id < 20; id++)
        {
            tracker.OnPacket(DnsWire.Udp4(Client, 40000, Server, 53, DnsWire.Query(id, "flood.test", 1)), true, false);
        }
        Assert.Equal(16, tracker.PendingCount);
        Assert.Equal(4, _context.Health.Lost);
    }

    [Fact]
    public void MalformedPackets_AreIgnored()
    {
        var tracker = NewTracker();
        var random = new Random(5);
        var valid = DnsWire.Udp4(Client, 40000, Server, 53, DnsWire.Query(1, "noise.test", 1));
        for (var i = 0; i < 5000; i++)
        {
            var mutated = (byte[])valid.Clone();
            mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            tracker.OnPacket(mutated.AsSpan(0, random.Next(mutated.Length + 1)), true, false);
        }
        tracker.Flush();
        Assert.All(_events, e => Assert.Equal(EventType.DnsQuery, e.Type));
    }

    private DnsTracker NewTracker(DnsSensorOptions? options = null) =>
        new(options ?? new DnsSensorOptions { ResponseTimeoutMs = 1000 }, _context, flow =>
        {
            _lookups.Add(flow);
            return (_self, 4242u);
        });

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset _now = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
