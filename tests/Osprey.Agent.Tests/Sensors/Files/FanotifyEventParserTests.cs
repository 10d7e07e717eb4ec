using System.Buffers.Binary;
using System.Text;
using Osprey.Agent.Interop;
using Osprey.Agent.Sensors.Files;
using static Osprey.Agent.Tests.Sensors.Files.FanotifyRecords;

namespace Osprey.Agent.Tests.Sensors.Files;

public sealed class FanotifyEventParserTests
{
    private const byte TypeFid = 1;
    private const byte TypeDfidName = 2;
    private const byte TypeDfid = 3;
    private const byte TypeOldDfidName = 10;
    private const byte TypeNewDfidName = 12;
    private static readonly byte[] DirHandle = [1, 2, 3, 4, 5, 6, 7, 8];
    private static readonly byte[] FileHandle = [9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20];

    private static byte[] CreateEvent() => Event(
        Fanotify.Create | Fanotify.CloseWrite, 4242,
        Fid(TypeDfidName, 0x1122334455667788, DirHandle, "report.pdf"),
        Fid(TypeFid, 0x1122334455667788, FileHandle));

    private static (FanotifyParseStatus Status, int Length, string? Error) Parse(byte[] bytes) =>
        (FanotifyEventParser.TryParse(bytes, out _, out var length, out var error), length, error);

    [Fact]
    public void ParsesACreateWithDirectoryNameAndObjectHandle()
    {
        var bytes = CreateEvent();
        var status = FanotifyEventParser.TryParse(bytes, out var e, out var length, out var error);

        Assert.Equal(FanotifyParseStatus.Ok, status);
        Assert.Null(error);
        Assert.Equal(bytes.Length, length);
        Assert.Equal(Fanotify.Create | Fanotify.CloseWrite, e.Mask);
        Assert.Equal(4242, e.Pid);
        Assert.Equal(-1, e.Fd);
        Assert.Equal(-1, e.PidFd);
        Assert.Equal("report.pdf", Encoding.UTF8.GetString(e.Name));
        Assert.Equal(0x1122334455667788UL, e.Directory.Fsid);
        Assert.Equal((uint)DirHandle.Length, BinaryPrimitives.ReadUInt32LittleEndian(e.Directory.FileHandle));
        Assert.Equal(DirHandle, e.Directory.FileHandle[8..].ToArray());
        Assert.Equal(FileHandle, e.Object.FileHandle[8..].ToArray());
        Assert.Equal(8 + 8 + FileHandle.Length, e.Object.Key.Length);
        Assert.False(e.OldDirectory.IsPresent);
    }

    [Fact]
    public void ParsesARenameWithOldAndNewEntries()
    {
        var bytes = Event(
            Fanotify.Rename, 7,
            Fid(TypeOldDfidName, 5, DirHandle, "old name"),
            Fid(TypeNewDfidName, 5, FileHandle, "new-name"),
            Fid(TypeFid, 5, FileHandle));
        Assert.Equal(FanotifyParseStatus.Ok, FanotifyEventParser.TryParse(bytes, out var e, out _, out _));
        Assert.Equal("old name", Encoding.UTF8.GetString(e.OldName));
        Assert.Equal("new-name", Encoding.UTF8.GetString(e.NewName));
        Assert.Equal(DirHandle, e.OldDirectory.FileHandle[8..].ToArray());
        Assert.Equal(FileHandle, e.NewDirectory.FileHandle[8..].ToArray());
        Assert.True(e.Name.IsEmpty);
    }

    [Fact]
    public void ParsesAnOverflowWithoutRecords_AndSkipsUnknownRecordTypes()
    {
        Assert.Equal(FanotifyParseStatus.Ok, FanotifyEventParser.TryParse(Event(Fanotify.QueueOverflow, 0), out var overflow, out _, out _));
        Assert.Equal(Fanotify.QueueOverflow, overflow.Mask);

        byte[] future = [99, 0, 8, 0, 1, 2, 3, 4];
        var bytes = Event(Fanotify.CloseWrite, 1, future, Fid(TypeFid, 1, FileHandle));
        Assert.Equal(FanotifyParseStatus.Ok, FanotifyEventParser.TryParse(bytes, out var e, out _, out _));
        Assert.True(e.Object.IsPresent);
    }

    [Fact]
    public void WalksSeveralEventsInOneBuffer()
    {
        var buffer = Concat(CreateEvent(), Event(Fanotify.Delete, 2, Fid(TypeDfidName, 1, DirHandle, "gone")), Event(Fanotify.QueueOverflow, 0));
        var masks = new List<ulong>();
        ReadOnlySpan<byte> rest = buffer;
        while (FanotifyEventParser.TryParse(rest, out var e, out var length, out _) == FanotifyParseStatus.Ok)
        {
            masks.Add(e.Mask);
            rest = rest[length..];
        }
        Assert.Equal([Fanotify.Create | Fanotify.CloseWrite, Fanotify.Delete, Fanotify.QueueOverflow], masks);
        Assert.True(rest.IsEmpty);
    }

    [Fact]
    public void EveryTruncation_IsReportedAsMalformed()
    {
        var bytes = CreateEvent();
        Assert.Equal(FanotifyParseStatus.End, Parse([]).Status);
        for (var length = 1; length < bytes.Length; length++)
        {
            var (status, _, error) = Parse(bytes[..length]);
            Assert.Equal(FanotifyParseStatus.MalformedBuffer, status);
            Assert.NotNull(error);
        }
    }

    /// <summary>What is wrong, the bytes, and whether the rest of the buffer is unusable (else only this event).</summary>
    public static TheoryData<string, byte[], bool> Hostile()
    {
        var data = new TheoryData<string, byte[], bool>();
        var valid = CreateEvent();

        data.Add("event_len below the metadata size", With(valid, b => BinaryPrimitives.WriteUInt32LittleEndian(b, 8)), true);
        data.Add("event_len beyond the buffer", With(valid, b => BinaryPrimitives.WriteUInt32LittleEndian(b, (uint)b.Length + 4)), true);
        data.Add("event_len of 4 GiB", With(valid, b => BinaryPrimitives.WriteUInt32LittleEndian(b, uint.MaxValue)), true);
        data.Add("another metadata version", With(valid, b => b[4] = 4), true);
        data.Add("metadata_len beyond event_len", With(valid, b => BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(6), (ushort)(b.Length + 1))), false);
        data.Add("metadata_len below 24", With(valid, b => BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(6), 8)), false);
        data.Add("record length 0 (would never advance)", With(valid, b => BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(26), 0)), false);
        data.Add("record length 3", With(valid, b => BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(26), 3)), false);
        data.Add("record longer than the event", With(valid, b => BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(26), 4000)), false);
        data.Add("handle_bytes beyond the record", With(valid, b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(24 + 12), 200)), false);
        data.Add("handle_bytes 0xffffffff", With(valid, b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(24 + 12), uint.MaxValue)), false);
        data.Add("handle_bytes 0", With(valid, b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(24 + 12), 0)), false);
        data.Add("name without its NUL", Event(Fanotify.Create, 1, NoNul(Fid(TypeDfidName, 1, DirHandle, "abc"))), false);
        data.Add("name with a slash", Event(Fanotify.Create, 1, Fid(TypeDfidName, 1, DirHandle, "../../etc/passwd")), false);
        data.Add("file ID record too short for its header", Event(Fanotify.Create, 1, [TypeFid, 0, 12, 0, 1, 2, 3, 4, 5, 6, 7, 8]), false);
        data.Add("two directory records", Event(Fanotify.Create, 1, Fid(TypeDfidName, 1, DirHandle, "a"), Fid(TypeDfid, 1, DirHandle)), false);
        data.Add("pidfd record too short", Event(Fanotify.Create, 1, [4, 0, 4, 0]), false);
        data.Add("bytes after the last record", Event(Fanotify.Create, 1, Fid(TypeFid, 1, FileHandle), [1, 0]), false);
        return data;
    }

    [Theory]
    [MemberData(nameof(Hostile))]
    public void HostileInput_IsRejected_NotThrownOrOverread(string what, byte[] bytes, bool restOfBufferUnusable)
    {
        var expected = restOfBufferUnusable ? FanotifyParseStatus.MalformedBuffer : FanotifyParseStatus.MalformedEvent;
        var (status, length, error) = Parse(bytes);
        Assert.True(expected == status, $"{what}: {status} ({error})");
        Assert.NotNull(error);
        Assert.InRange(length, 0, bytes.Length);
    }

    [Fact]
    public void RandomMutations_NeverThrow_AndAlwaysAdvanceOrStop()
    {
        var random = new Random(20240601);
        var valid = Concat(CreateEvent(), Event(Fanotify.Rename, 3, Fid(TypeOldDfidName, 5, DirHandle, "x"), Fid(TypeNewDfidName, 5, DirHandle, "y"), Fid(TypeFid, 5, FileHandle)));
        for (var round = 0; round < 20_000; round++)
        {
            var bytes = round % 10 == 0 ? new byte[random.Next(0, 300)] : (byte[])valid.Clone();
            if (round % 10 == 0)
            {
                random.NextBytes(bytes);
            }
            for (var flips = random.Next(1, 6); flips > 0 && bytes.Length > 0; flips--)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }
            bytes = bytes[..random.Next(bytes.Length + 1)];
            ReadOnlySpan<byte> rest = bytes;
            for (var guard = 0; ; guard++)
            {
                Assert.True(guard <= bytes.Length / 24 + 1, "the parser did not advance");
                var status = FanotifyEventParser.TryParse(rest, out _, out var length, out _);
                if (status is FanotifyParseStatus.End or FanotifyParseStatus.MalformedBuffer)
                {
                    break;
                }
                Assert.InRange(length, FanotifyEventParser.MetadataLength, rest.Length);
                rest = rest[length..];
            }
        }
    }

    private static byte[] With(byte[] valid, Action<byte[]> change)
    {
        var copy = (byte[])valid.Clone();
        change(copy);
        return copy;
    }

    // Replaces the NUL and padding after a name with letters, keeping the record length.
    private static byte[] NoNul(byte[] record)
    {
        for (var i = 20 + DirHandle.Length; i < record.Length; i++)
        {
            if (record[i] == 0)
            {
                record[i] = (byte)'z';
            }
        }
        return record;
    }
}
