using Google.Protobuf;
using Osprey.Contracts.V1;

namespace Osprey.Node.Ingest;

/// <summary>
/// A telemetry batch as received: each event parsed, beside the bytes it arrived as. The node stores those
/// bytes (so it never serializes an event again), followed by a short suffix that sets the device's agent ID
/// to the one the client certificate names: when protobuf parses a message, a later occurrence of a field
/// overrides an earlier one, so the stored event always carries the authenticated agent ID.
/// </summary>
public sealed class ReceivedBatch
{
    private const int EventsField = TelemetryBatch.EventsFieldNumber;

    private ReceivedBatch(List<Event> events, List<byte[]> bodies)
    {
        Events = events;
        Bodies = bodies;
    }

    /// <summary>The events, each with its device's agent ID set to the sender's.</summary>
    public IReadOnlyList<Event> Events { get; }

    /// <summary>What is stored for each event: its bytes as received, then the agent ID suffix.</summary>
    public IReadOnlyList<byte[]> Bodies { get; }

    /// <summary>
    /// Parses a serialized <see cref="TelemetryBatch"/> sent by <paramref name="agentId"/>; throws
    /// <see cref="InvalidDataException"/> saying what is wrong when the bytes are not one.
    /// </summary>
    public static ReceivedBatch Parse(ReadOnlySpan<byte> data, string agentId)
    {
        var suffix = AgentIdSuffix(agentId);
        var events = new List<Event>();
        var bodies = new List<byte[]>();
        var position = 0;
        while (position < data.Length)
        {
            var tag = ReadVarint(data, ref position);
            var (field, wireType) = ((int)(tag >> 3), (int)(tag & 7));
            if (field == 0)
            {
                throw new InvalidDataException("the batch holds a field numbered 0");
            }
            switch (wireType)
            {
                case 0:
                    ReadVarint(data, ref position);
                    break;
                case 1:
                    Skip(data, ref position, 8);
                    break;
                case 5:
                    Skip(data, ref position, 4);
                    break;
                case 2:
                    var length = ReadVarint(data, ref position);
                    if (length > (ulong)(data.Length - position))
                    {
                        throw new InvalidDataException("the batch ends inside a field");
                    }
                    var bytes = data.Slice(position, (int)length);
                    position += (int)length;
                    if (field == EventsField)
                    {
                        Event e;
                        try
                        {
                            e = Event.Parser.ParseFrom(bytes);
                        }
                        catch (InvalidProtocolBufferException error)
                        {
                            throw new InvalidDataException($"event {events.Count} is not a valid Event message: {error.Message}", error);
                        }
                        (e.Device ??= new DeviceRef()).AgentId = agentId;
                        events.Add(e);
                        var body = new byte[bytes.Length + suffix.Length];
                        bytes.CopyTo(body);
                        suffix.CopyTo(body.AsSpan(bytes.Length));
                        bodies.Add(body);
                    }
                    break;
                default:
                    throw new InvalidDataException($"the batch holds an unsupported wire type {wireType}");
            }
        }
        return new ReceivedBatch(events, bodies);
    }

    /// <summary>A batch built in memory (tools and tests): each event given the agent ID and serialized here.</summary>
    public static ReceivedBatch Of(IEnumerable<Event> events, string agentId)
    {
        var list = events.ToList();
        foreach (var e in list)
        {
            (e.Device ??= new DeviceRef()).AgentId = agentId;
        }
        return new ReceivedBatch(list, [.. list.Select(e => e.ToByteArray())]);
    }

    /// <summary>The bytes that, appended to a serialized event, set its device's agent ID.</summary>
    private static byte[] AgentIdSuffix(string agentId) =>
        new Event { Device = new DeviceRef { AgentId = agentId } }.ToByteArray();

    private static ulong ReadVarint(ReadOnlySpan<byte> data, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (position >= data.Length)
            {
                throw new InvalidDataException("the batch ends inside a varint");
            }
            var b = data[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
        throw new InvalidDataException("the batch holds a varint longer than 10 bytes");
    }

    private static void Skip(ReadOnlySpan<byte> data, ref int position, int count)
    {
        if (data.Length - position < count)
        {
            throw new InvalidDataException("the batch ends inside a field");
        }
        position += count;
    }
}
