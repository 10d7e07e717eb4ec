using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Osprey.Agent.Sensors.HostState;

/// <summary>
/// One record of utmp / wtmp in glibc's x86-64 layout (384 bytes, 32-bit times): ut_type, ut_pid, ut_line[32],
/// ut_id[4], ut_user[32], ut_host[256], ut_exit, ut_session, ut_tv, ut_addr_v6[4].
/// </summary>
public sealed record UtmpRecord
{
    public const int Size = 384;

    private const int TypeOffset = 0;
    private const int PidOffset = 4;
    private const int LineOffset = 8;
    private const int LineLength = 32;
    private const int IdOffset = 40;
    private const int IdLength = 4;
    private const int UserOffset = 44;
    private const int UserLength = 32;
    private const int HostOffset = 76;
    private const int HostLength = 256;
    private const int ExitOffset = 332;
    private const int SessionOffset = 336;
    private const int TimeOffset = 340;
    private const int AddressOffset = 348;

    public required UtmpType Type { get; init; }
    public int Pid { get; init; }
    /// <summary>Terminal without "/dev/" ("pts/3", "tty1"), or "~" for boot and shutdown records.</summary>
    public string Line { get; init; } = "";
    public string Id { get; init; } = "";
    public string User { get; init; } = "";
    public string Host { get; init; } = "";
    public short ExitTermination { get; init; }
    public short ExitStatus { get; init; }
    public int Session { get; init; }
    /// <summary>Unix microseconds.</summary>
    public long TimeUs { get; init; }
    public IPAddress? Address { get; init; }

    /// <summary>Parses one record; false when the span is short or the type is not one utmp(5) defines.</summary>
    public static bool TryParse(ReadOnlySpan<byte> raw, out UtmpRecord? record)
    {
        record = null;
        if (raw.Length < Size)
        {
            return false;
        }
        var type = BinaryPrimitives.ReadInt16LittleEndian(raw[TypeOffset..]);
        if (type is < 0 or > (short)UtmpType.Accounting)
        {
            return false;
        }
        // tv_sec is a signed 32-bit field; read unsigned so dates after 2038 stay in order until 2106.
        var seconds = BinaryPrimitives.ReadUInt32LittleEndian(raw[TimeOffset..]);
        var micros = BinaryPrimitives.ReadInt32LittleEndian(raw[(TimeOffset + 4)..]);
        record = new UtmpRecord
        {
            Type = (UtmpType)type,
            Pid = BinaryPrimitives.ReadInt32LittleEndian(raw[PidOffset..]),
            Line = Text(raw.Slice(LineOffset, LineLength)),
            Id = Text(raw.Slice(IdOffset, IdLength)),
            User = Text(raw.Slice(UserOffset, UserLength)),
            Host = Text(raw.Slice(HostOffset, HostLength)),
            ExitTermination = BinaryPrimitives.ReadInt16LittleEndian(raw[ExitOffset..]),
            ExitStatus = BinaryPrimitives.ReadInt16LittleEndian(raw[(ExitOffset + 2)..]),
            Session = BinaryPrimitives.ReadInt32LittleEndian(raw[SessionOffset..]),
            TimeUs = seconds * 1_000_000L + (micros is >= 0 and < 1_000_000 ? micros : 0),
            Address = AddressOf(raw.Slice(AddressOffset, 16)),
        };
        return true;
    }

    /// <summary>Writes the record in the same layout (tests, and tools that need a record to compare with).</summary>
    public void WriteTo(Span<byte> raw)
    {
        if (raw.Length < Size)
        {
            throw new ArgumentException($"a utmp record needs {Size} bytes", nameof(raw));
        }
        raw[..Size].Clear();
        BinaryPrimitives.WriteInt16LittleEndian(raw[TypeOffset..], (short)Type);
        BinaryPrimitives.WriteInt32LittleEndian(raw[PidOffset..], Pid);
        Put(raw.Slice(LineOffset, LineLength), Line);
        Put(raw.Slice(IdOffset, IdLength), Id);
        Put(raw.Slice(UserOffset, UserLength), User);
        Put(raw.Slice(HostOffset, HostLength), Host);
        BinaryPrimitives.WriteInt16LittleEndian(raw[ExitOffset..], ExitTermination);
        BinaryPrimitives.WriteInt16LittleEndian(raw[(ExitOffset + 2)..], ExitStatus);
        BinaryPrimitives.WriteInt32LittleEndian(raw[SessionOffset..], Session);
        BinaryPrimitives.WriteUInt32LittleEndian(raw[TimeOffset..], (uint)(TimeUs / 1_000_000));
        BinaryPrimitives.WriteInt32LittleEndian(raw[(TimeOffset + 4)..], (int)(TimeUs % 1_000_000));
        Address?.TryWriteBytes(raw.Slice(AddressOffset, 16), out _);
    }

    public byte[] ToBytes()
    {
        var raw = new byte[Size];
        WriteTo(raw);
        return raw;
    }

    private static string Text(ReadOnlySpan<byte> field)
    {
        // Fields are NUL-padded but not NUL-terminated when full.
        var end = field.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? field : field[..end]);
    }

    private static void Put(Span<byte> field, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        bytes.AsSpan(0, Math.Min(bytes.Length, field.Length)).CopyTo(field);
    }

    private static IPAddress? AddressOf(ReadOnlySpan<byte> v6)
    {
        if (v6.IndexOfAnyExcept((byte)0) < 0)
        {
            return null;
        }
        // An IPv4 address fills only the first of the four words.
        return v6[4..].IndexOfAnyExcept((byte)0) < 0 ? new IPAddress(v6[..4]) : new IPAddress(v6);
    }
}
