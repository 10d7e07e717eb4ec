using System.Buffers.Binary;

namespace Osprey.Agent.Sensors.Network;

/// <summary>
/// A UDP datagram or TCP segment read from an IP packet (IPv4, or IPv6 without extension headers): its endpoints
/// and its payload, a slice of the packet. <see cref="TryParse"/> checks every header length against the packet
/// and rejects fragments, whose payload is incomplete.
/// </summary>
public readonly ref struct TransportSegment
{
    public const byte Tcp = 6;
    public const byte Udp = 17;

    public byte Protocol { get; init; }
    public NetAddress Source { get; init; }
    public NetAddress Destination { get; init; }
    public ushort SourcePort { get; init; }
    public ushort DestinationPort { get; init; }
    public ReadOnlySpan<byte> Payload { get; init; }

    public static bool TryParse(ReadOnlySpan<byte> packet, out TransportSegment segment)
    {
        segment = default;
        if (packet.IsEmpty)
        {
            return false;
        }
        return (packet[0] >> 4) switch
        {
            4 => TryParseIPv4(packet, out segment),
            6 => TryParseIPv6(packet, out segment),
            _ => false,
        };
    }

    private static bool TryParseIPv4(ReadOnlySpan<byte> packet, out TransportSegment segment)
    {
        segment = default;
        if (packet.Length < 20)
        {
            return false;
        }
        var headerLength = (packet[0] & 0xf) * 4;
        var totalLength = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        // A GRO "big TCP" packet over 64 KiB says 0 here and is as long as it was captured.
        var end = totalLength == 0 ? packet.Length : totalLength;
        var fragment = BinaryPrimitives.ReadUInt16BigEndian(packet[6..]);
        if (headerLength < 20 || end < headerLength || end > packet.Length || (fragment & 0x3fff) != 0)
        {
            return false;
        }
        return TryParseTransport(
            packet[9], NetAddress.FromIPv4(packet.Slice(12, 4)), NetAddress.FromIPv4(packet.Slice(16, 4)), packet[headerLength..end], out segment);
    }

    private static bool TryParseIPv6(ReadOnlySpan<byte> packet, out TransportSegment segment)
    {
        segment = default;
        if (packet.Length < 40)
        {
            return false;
        }
        var payloadLength = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
        var end = payloadLength == 0 ? packet.Length : 40 + payloadLength;
        if (end > packet.Length)
        {
            return false;
        }
        return TryParseTransport(
            packet[6], NetAddress.FromIPv6(packet.Slice(8, 16)), NetAddress.FromIPv6(packet.Slice(24, 16)), packet[40..end], out segment);
    }

    private static bool TryParseTransport(byte protocol, NetAddress source, NetAddress destination, ReadOnlySpan<byte> data, out TransportSegment segment)
    {
        segment = default;
        int payloadStart, payloadEnd;
        if (protocol == Udp)
        {
            if (data.Length < 8)
            {
                return false;
            }
            var length = BinaryPrimitives.ReadUInt16BigEndian(data[4..]);
            // Length 0 is a UDP jumbogram or a GSO packet: the datagram runs to the end of the IP payload.
            payloadEnd = length == 0 ? data.Length : length;
            if (payloadEnd < 8 || payloadEnd > data.Length)
            {
                return false;
            }
            payloadStart = 8;
        }
        else if (protocol == Tcp)
        {
            if (data.Length < 20)
            {
                return false;
            }
            payloadStart = (data[12] >> 4) * 4;
            payloadEnd = data.Length;
            if (payloadStart < 20 || payloadStart > data.Length)
            {
                return false;
            }
        }
        else
        {
            return false;
        }
        segment = new TransportSegment
        {
            Protocol = protocol,
            Source = source,
            Destination = destination,
            SourcePort = BinaryPrimitives.ReadUInt16BigEndian(data),
            DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(data[2..]),
            Payload = data[payloadStart..payloadEnd],
        };
        return true;
    }
}
