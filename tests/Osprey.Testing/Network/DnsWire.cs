using System.Buffers.Binary;
using System.Text;

namespace Osprey.Testing.Network;

/// <summary>Writes DNS messages and IP packets for tests, independently of the parser under test.</summary>
public static class DnsWire
{
    public static byte[] Query(ushort id, string name, ushort type)
    {
        var bytes = new List<byte>();
        bytes.AddRange([(byte)(id >> 8), (byte)id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
        bytes.AddRange(Name(name));
        bytes.AddRange([(byte)(type >> 8), (byte)type, 0, 1]);
        return [.. bytes];
    }

    /// <summary>A response to <paramref name="query"/>: its question, then answers whose owner is a pointer to the question's name.</summary>
    public static byte[] Response(byte[] query, int responseCode, params (ushort Type, byte[] Data)[] answers)
    {
        var questionEnd = 12;
        while (query[questionEnd] != 0)
        {
            questionEnd += query[questionEnd] + 1;
        }
        questionEnd += 5;
        var bytes = new List<byte>(query.AsSpan(0, questionEnd).ToArray());
        bytes[2] = 0x81;
        bytes[3] = (byte)(0x80 | responseCode);
        bytes[7] = (byte)answers.Length;
        foreach (var (type, data) in answers)
        {
            bytes.AddRange([0xc0, 0x0c, (byte)(type >> 8), (byte)type, 0, 1, 0, 0, 0, 60, (byte)(data.Length >> 8), (byte)data.Length]);
            bytes.AddRange(data);
        }
        return [.. bytes];
    }

    public static byte[] Name(string name)
    {
        var bytes = new List<byte>();
        foreach (var label in name.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }
        bytes.Add(0);
        return [.. bytes];
    }

    /// <summary>The question name of a query, as the test's responder reads it.</summary>
    public static string QuestionName(byte[] query)
    {
        var labels = new List<string>();
        for (var offset = 12; query[offset] != 0; offset += query[offset] + 1)
        {
            labels.Add(Encoding.ASCII.GetString(query, offset + 1, query[offset]));
        }
        return string.Join('.', labels);
    }

    public static ushort QuestionType(byte[] query)
    {
        var offset = 12;
        while (query[offset] != 0)
        {
            offset += query[offset] + 1;
        }
        return BinaryPrimitives.ReadUInt16BigEndian(query.AsSpan(offset + 1));
    }

    /// <summary>An IPv4 packet carrying <paramref name="payload"/> over UDP.</summary>
    public static byte[] Udp4(byte[] source, ushort sourcePort, byte[] destination, ushort destinationPort, byte[] payload)
    {
        var packet = new byte[28 + payload.Length];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        packet[8] = 64;
        packet[9] = 17;
        source.CopyTo(packet, 12);
        destination.CopyTo(packet, 16);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(20), sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(22), destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(24), (ushort)(8 + payload.Length));
        payload.CopyTo(packet, 28);
        return packet;
    }

    /// <summary>An IPv6 packet carrying <paramref name="payload"/> over TCP (a 20-byte header, no options).</summary>
    public static byte[] Tcp6(byte[] source, ushort sourcePort, byte[] destination, ushort destinationPort, byte[] payload)
    {
        var packet = new byte[60 + payload.Length];
        packet[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)(20 + payload.Length));
        packet[6] = 6;
        packet[7] = 64;
        source.CopyTo(packet, 8);
        destination.CopyTo(packet, 24);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(40), sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(42), destinationPort);
        packet[52] = 5 << 4;
        payload.CopyTo(packet, 60);
        return packet;
    }

    public static byte[] WithLengthPrefix(byte[] message) => [(byte)(message.Length >> 8), (byte)message.Length, .. message];
}
