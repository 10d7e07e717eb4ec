using System.Buffers.Binary;

namespace Osprey.Agent.Sensors.Network;

/// <summary>
/// Reads DNS messages (RFC 1035) from untrusted bytes. Every read is checked against the message; names follow
/// compression pointers only backwards, each before the start of the run of labels that led to it (so a pointer
/// loop cannot form) and to at most 255 bytes; header counts are trusted only as far as the data goes.
/// </summary>
public static class DnsParser
{
    public const int HeaderLength = 12;
    public const ushort TypeA = 1;
    public const ushort TypeCname = 5;
    public const ushort TypeAaaa = 28;
    public const ushort TypeOpt = 41;
    private const int MaxNameLength = 255;
    private const int MaxPointers = 64;
    private const int MaxRecords = 512;
    private const int MaxAddresses = 64;
    private const int MaxAliases = 16;

    /// <summary>The message, or null when it is not a readable standard query or response with a question.</summary>
    public static DnsMessage? TryParse(ReadOnlySpan<byte> message)
    {
        if (message.Length < HeaderLength)
        {
            return null;
        }
        var id = BinaryPrimitives.ReadUInt16BigEndian(message);
        var flags = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        var questions = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        var answers = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
        var authorities = BinaryPrimitives.ReadUInt16BigEndian(message[8..]);
        var additionals = BinaryPrimitives.ReadUInt16BigEndian(message[10..]);
        var opcode = (flags >> 11) & 0xf;
        if (questions == 0 || opcode != 0)
        {
            return null;
        }
        var offset = HeaderLength;
        if (!TryReadName(message, ref offset, out var name) || offset + 4 > message.Length)
        {
            return null;
        }
        var queryType = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
        offset += 4;
        var isResponse = (flags & 0x8000) != 0;
        var responseCode = flags & 0xf;
        if (!isResponse)
        {
            return new DnsMessage { Id = id, IsResponse = false, Opcode = opcode, ResponseCode = responseCode, Name = name, QueryType = queryType };
        }
        var complete = true;
        for (var i = 1; i < questions && complete; i++)
        {
            complete = TrySkipName(message, ref offset) && (offset += 4) <= message.Length;
        }
        var addresses = new List<NetAddress>();
        var aliases = new List<string>();
        var records = Math.Min(answers + authorities + additionals, MaxRecords);
        for (var i = 0; i < records && complete; i++)
        {
            var section = i < answers ? 0 : i < answers + authorities ? 1 : 2;
            complete = TryReadRecord(message, ref offset, section, name, addresses, aliases, ref responseCode);
        }
        return new DnsMessage
        {
            Id = id, IsResponse = true, Opcode = opcode, ResponseCode = responseCode, Name = name, QueryType = queryType,
            Addresses = addresses, Aliases = aliases, Incomplete = !complete,
        };
    }

    private static bool TryReadRecord(
        ReadOnlySpan<byte> message, ref int offset, int section, string question, List<NetAddress> addresses, List<string> aliases, ref int responseCode)
    {
        var ownerStart = offset;
        if (!TrySkipName(message, ref offset) || offset + 10 > message.Length)
        {
            return false;
        }
        var type = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
        var @class = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 2)..]);
        var ttl = BinaryPrimitives.ReadUInt32BigEndian(message[(offset + 4)..]);
        var dataLength = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 8)..]);
        var dataStart = offset + 10;
        if (dataStart + dataLength > message.Length)
        {
            return false;
        }
        offset = dataStart + dataLength;
        if (section == 2)
        {
            if (type == TypeOpt)
            {
                // EDNS keeps the upper 8 bits of a 12-bit RCODE in the OPT record's TTL field.
                responseCode |= (int)(ttl >> 24) << 4;
            }
            return true;
        }
        if (section != 0 || @class != 1 || type is not (TypeA or TypeAaaa or TypeCname))
        {
            return true;
        }
        var owner = ownerStart;
        if (!TryReadName(message, ref owner, out var ownerName))
        {
            return true;
        }
        var forQuestion = string.Equals(ownerName, question, StringComparison.Ordinal) || aliases.Contains(ownerName);
        if (!forQuestion)
        {
            return true;
        }
        if (type == TypeCname)
        {
            var target = dataStart;
            if (TryReadName(message, ref target, out var alias) && target <= offset && aliases.Count < MaxAliases && !aliases.Contains(alias))
            {
                aliases.Add(alias);
            }
        }
        else if (addresses.Count < MaxAddresses && (type == TypeA ? dataLength == 4 : dataLength == 16))
        {
            var data = message.Slice(dataStart, dataLength);
            var address = type == TypeA ? NetAddress.FromIPv4(data) : NetAddress.FromIPv6(data);
            if (!addresses.Contains(address))
            {
                addresses.Add(address);
            }
        }
        return true;
    }

    /// <summary>Moves past a name (checked like <see cref="TryReadName"/>) without building its text.</summary>
    private static bool TrySkipName(ReadOnlySpan<byte> message, ref int offset) => Walk(message, ref offset, []) >= 0;

    /// <summary>Reads the name at <paramref name="offset"/> and moves past it (past its first pointer when compressed).</summary>
    public static bool TryReadName(ReadOnlySpan<byte> message, ref int offset, out string name)
    {
        // Each of at most 255 bytes becomes at most 4 characters (\DDD).
        Span<char> text = stackalloc char[MaxNameLength * 4];
        var length = Walk(message, ref offset, text);
        name = length switch
        {
            < 0 => "",
            0 => ".",
            _ => new string(text[..length]),
        };
        return length >= 0;
    }

    /// <summary>Follows a name's labels and pointers, writing its text when <paramref name="text"/> has room: the text's length, or -1 when the name is malformed.</summary>
    private static int Walk(ReadOnlySpan<byte> message, ref int offset, Span<char> text)
    {
        var position = offset;
        var runStart = offset;
        var end = -1;
        var nameLength = 1;
        var written = 0;
        for (var pointers = 0; ;)
        {
            if (position >= message.Length)
            {
                return -1;
            }
            var label = message[position];
            if (label == 0)
            {
                offset = end >= 0 ? end : position + 1;
                return written;
            }
            switch (label & 0xc0)
            {
                case 0xc0:
                    if (position + 1 >= message.Length || ++pointers > MaxPointers)
                    {
                        return -1;
                    }
                    var target = ((label & 0x3f) << 8) | message[position + 1];
                    if (target >= runStart)
                    {
                        return -1;
                    }
                    if (end < 0)
                    {
                        end = position + 2;
                    }
                    position = runStart = target;
                    continue;
                case 0:
                    nameLength += label + 1;
                    if (nameLength > MaxNameLength || position + 1 + label > message.Length)
                    {
                        return -1;
                    }
                    if (!text.IsEmpty)
                    {
                        if (written > 0)
                        {
                            text[written++] = '.';
                        }
                        written = AppendLabel(message.Slice(position + 1, label), text, written);
                    }
                    else
                    {
                        written = 1;
                    }
                    position += 1 + label;
                    continue;
                default:
                    // 0x40 and 0x80 label types are obsolete or unassigned.
                    return -1;
            }
        }
    }

    private static int AppendLabel(ReadOnlySpan<byte> label, Span<char> text, int written)
    {
        foreach (var b in label)
        {
            if (b is > 0x20 and < 0x7f and not (byte)'.' and not (byte)'\\')
            {
                text[written++] = b is >= (byte)'A' and <= (byte)'Z' ? (char)(b | 0x20) : (char)b;
            }
            else
            {
                text[written++] = '\\';
                text[written++] = (char)('0' + b / 100);
                text[written++] = (char)('0' + b / 10 % 10);
                text[written++] = (char)('0' + b % 10);
            }
        }
        return written;
    }
}
