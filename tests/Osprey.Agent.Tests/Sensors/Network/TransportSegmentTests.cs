using Osprey.Agent.Sensors.Network;
using Osprey.Testing.Network;

namespace Osprey.Agent.Tests.Sensors.Network;

public sealed class TransportSegmentTests
{
    private static readonly byte[] Client4 = [10, 0, 0, 5];
    private static readonly byte[] Server4 = [10, 0, 0, 53];
    private static readonly byte[] Client6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5];
    private static readonly byte[] Server6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53];

    [Fact]
    public void UdpOverIpv4_IsRead()
    {
        var packet = DnsWire.Udp4(Client4, 40000, Server4, 53, [1, 2, 3]);
        Assert.True(TransportSegment.TryParse(packet, out var segment));
        Assert.Equal(TransportSegment.Udp, segment.Protocol);
        Assert.Equal("10.0.0.5", segment.Source.ToString());
        Assert.Equal("10.0.0.53", segment.Destination.ToString());
        Assert.Equal(40000, segment.SourcePort);
        Assert.Equal(53, segment.DestinationPort);
        Assert.Equal([1, 2, 3], segment.Payload.ToArray());
    }

    [Fact]
    public void TcpOverIpv6_IsRead()
    {
        var packet = DnsWire.Tcp6(Server6, 53, Client6, 41000, [9, 8]);
        Assert.True(TransportSegment.TryParse(packet, out var segment));
        Assert.Equal(TransportSegment.Tcp, segment.Protocol);
        Assert.Equal("2001:db8::53", segment.Source.ToString());
        Assert.Equal("2001:db8::5", segment.Destination.ToString());
        Assert.Equal(53, segment.SourcePort);
        Assert.Equal(41000, segment.DestinationPort);
        Assert.Equal([9, 8], segment.Payload.ToArray());
    }

    [Fact]
    public void Fragments_AreRejected()
    {
        var packet = DnsWire.Udp4(Client4, 1, Server4, 53, [1]);
        packet[6] = 0x20;
        Assert.False(TransportSegment.TryParse(packet, out _));
        packet[6] = 0;
        packet[7] = 0x10;
        Assert.False(TransportSegment.TryParse(packet, out _));
    }

    [Theory]
    [InlineData(0, 0x44)]      // IHL 4: shorter than the minimum
    [InlineData(0, 0x4f)]      // IHL 15: longer than the packet
    [InlineData(0, 0x55)]      // version 5
    [InlineData(3, 0xff)]      // total length beyond the packet
    [InlineData(25, 0xff)]     // UDP length beyond the packet
    [InlineData(25, 0x03)]     // UDP length shorter than its header
    [InlineData(9, 0x01)]      // ICMP
    public void BadIpv4OrUdpHeaders_AreRejected(int offset, byte value)
    {
        var packet = DnsWire.Udp4(Client4, 1, Server4, 53, [1, 2, 3, 4]);
        packet[offset] = value;
        Assert.False(TransportSegment.TryParse(packet, out _));
    }

    [Theory]
    [InlineData(52, 0x40)]     // TCP data offset 4
    [InlineData(52, 0xf0)]     // TCP data offset beyond the packet
    [InlineData(5, 0xff)]      // IPv6 payload length beyond the packet
    [InlineData(6, 0x00)]      // hop-by-hop extension header
    public void BadIpv6OrTcpHeaders_AreRejected(int offset, byte value)
    {
        var packet = DnsWire.Tcp6(Server6, 53, Client6, 41000, [9, 8]);
        packet[offset] = value;
        Assert.False(TransportSegment.TryParse(packet, out _));
    }

    [Fact]
    public void EveryTruncation_IsRejectedWithoutThrowing()
    {
        var udp = DnsWire.Udp4(Client4, 1, Server4, 53, [1, 2, 3, 4]);
        var tcp = DnsWire.Tcp6(Server6, 53, Client6, 41000, [9, 8]);
        foreach (var packet in new[] { udp, tcp })
        {
            for (var length = 0; length < packet.Length; length++)
            {
                Assert.False(TransportSegment.TryParse(packet.AsSpan(0, length), out _));
            }
            Assert.True(TransportSegment.TryParse(packet, out _));
        }
    }

    [Fact]
    public void RandomPackets_NeverThrow()
    {
        var random = new Random(7);
        var valid = DnsWire.Udp4(Client4, 1, Server4, 53, DnsWire.Query(1, "x.test", 1));
        for (var i = 0; i < 20_000; i++)
        {
            var mutated = (byte[])valid.Clone();
            mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            if (TransportSegment.TryParse(mutated.AsSpan(0, random.Next(mutated.Length + 1)), out var segment))
            {
                Assert.True(segment.Payload.Length <= mutated.Length);
            }
        }
    }
}
