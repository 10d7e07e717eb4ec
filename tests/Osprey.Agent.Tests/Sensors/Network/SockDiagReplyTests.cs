using System.Buffers.Binary;
using Osprey.Agent.Sensors.Network;

namespace Osprey.Agent.Tests.Sensors.Network;

public sealed class SockDiagReplyTests
{
    private const uint Sequence = 42;

    [Fact]
    public void DumpDatagram_YieldsEverySocket()
    {
        var datagram = Concat(
            DiagMessage(Sequence, multi: true, family: 2, state: 1, local: [127, 0, 0, 1], localPort: 8080, remote: [10, 1, 2, 3], remotePort: 50000, uid: 1000, inode: 777, cookie: 0x1_0000_0005),
            DiagMessage(Sequence, multi: true, family: 10, state: 10, local: new byte[16], localPort: 22, remote: new byte[16], remotePort: 0, uid: 0, inode: 888, cookie: 6));
        var sockets = new List<DiagSocket>();

        var result = SockDiagReply.Parse(datagram, Sequence, sockets);

        Assert.Equal(DiagReplyStatus.More, result.Status);
        Assert.Equal(2, sockets.Count);
        var tcp = sockets[0];
        Assert.Equal("127.0.0.1", tcp.LocalAddress.ToString());
        Assert.Equal(8080, tcp.LocalPort);
        Assert.Equal("10.1.2.3", tcp.RemoteAddress.ToString());
        Assert.Equal(50000, tcp.RemotePort);
        Assert.Equal(1000u, tcp.Uid);
        Assert.Equal(777ul, tcp.Inode);
        Assert.Equal(0x1_0000_0005ul, tcp.Cookie);
        Assert.Equal(1, tcp.State);
        Assert.Equal("::", sockets[1].LocalAddress.ToString());
        Assert.True(sockets[1].LocalAddress.IsUnspecified);
    }

    [Fact]
    public void Done_EndsTheReply_AndAFailedDoneCarriesItsErrno()
    {
        Assert.Equal(DiagReplyStatus.Done, SockDiagReply.Parse(Control(Sequence, 3, 0), Sequence, []).Status);
        var failed = SockDiagReply.Parse(Control(Sequence, 3, -4), Sequence, []);
        Assert.Equal(DiagReplyStatus.Error, failed.Status);
        Assert.Equal(4, failed.Errno);
    }

    [Fact]
    public void ErrorMessage_CarriesTheErrno_AndZeroIsAnAck()
    {
        var error = SockDiagReply.Parse(Control(Sequence, 2, -2), Sequence, []);
        Assert.Equal(DiagReplyStatus.Error, error.Status);
        Assert.Equal(2, error.Errno);
        Assert.Equal(DiagReplyStatus.Done, SockDiagReply.Parse(Control(Sequence, 2, 0), Sequence, []).Status);
        var shortError = Header(16, 2, 0, Sequence);
        Assert.Equal(DiagReplyStatus.Malformed, SockDiagReply.Parse(shortError, Sequence, []).Status);
    }

    [Fact]
    public void MessagesOfAnotherRequest_AreIgnored()
    {
        var sockets = new List<DiagSocket>();
        var datagram = Concat(Control(Sequence - 1, 3, 0), DiagMessage(Sequence, multi: true, inode: 5));
        Assert.Equal(DiagReplyStatus.More, SockDiagReply.Parse(datagram, Sequence, sockets).Status);
        Assert.Single(sockets);
    }

    [Fact]
    public void AnswerWithoutMulti_IsTheWholeReply()
    {
        var sockets = new List<DiagSocket>();
        Assert.Equal(DiagReplyStatus.Done, SockDiagReply.Parse(DiagMessage(Sequence, multi: false, inode: 9), Sequence, sockets).Status);
        Assert.Equal(9ul, Assert.Single(sockets).Inode);
    }

    [Fact]
    public void InterruptedDump_IsFlagged()
    {
        var message = DiagMessage(Sequence, multi: true, inode: 1);
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(6), 0x2 | 0x10);
        Assert.True(SockDiagReply.Parse(message, Sequence, []).Interrupted);
    }

    [Theory]
    [InlineData(8u)]       // shorter than its own header
    [InlineData(4096u)]    // longer than the datagram
    public void BadMessageLength_MakesTheDatagramMalformed(uint length)
    {
        var message = DiagMessage(Sequence, multi: true, inode: 1);
        BinaryPrimitives.WriteUInt32LittleEndian(message, length);
        Assert.Equal(DiagReplyStatus.Malformed, SockDiagReply.Parse(message, Sequence, []).Status);
    }

    [Fact]
    public void ShortSocketMessage_IsSkippedAndTheNextOneRead()
    {
        var sockets = new List<DiagSocket>();
        var datagram = Concat(Header(16 + 40, 20, 2, Sequence).Concat(new byte[40]).ToArray(), DiagMessage(Sequence, multi: true, inode: 3));
        var result = SockDiagReply.Parse(datagram, Sequence, sockets);
        Assert.Equal(1, result.Skipped);
        Assert.Equal(3ul, Assert.Single(sockets).Inode);
    }

    [Theory]
    [InlineData(new byte[] { 8, 0, 1, 0, 0, 0, 0, 0 }, true)]            // one 8-byte attribute
    [InlineData(new byte[] { 5, 0, 1, 0, 9, 0, 0, 0 }, true)]            // 5 bytes, padded to 8
    [InlineData(new byte[] { 2, 0, 1, 0, 0, 0, 0, 0 }, false)]           // shorter than its header
    [InlineData(new byte[] { 64, 0, 1, 0, 0, 0, 0, 0 }, false)]          // longer than the message
    [InlineData(new byte[] { 8, 0, 1, 0, 0, 0, 0, 0, 1, 0 }, false)]     // trailing bytes
    public void Attributes_AreCheckedForLength(byte[] attributes, bool valid)
    {
        var sockets = new List<DiagSocket>();
        var result = SockDiagReply.Parse(DiagMessage(Sequence, multi: true, inode: 4, attributes: attributes), Sequence, sockets);
        Assert.Equal(valid ? 1 : 0, sockets.Count);
        Assert.Equal(valid ? 0 : 1, result.Skipped);
    }

    [Fact]
    public void TrailingBytes_MakeTheDatagramMalformed()
    {
        var datagram = Concat(DiagMessage(Sequence, multi: true, inode: 1), [1, 2, 3, 4]);
        Assert.Equal(DiagReplyStatus.Malformed, SockDiagReply.Parse(datagram, Sequence, []).Status);
    }

    [Fact]
    public void RandomMutations_NeverThrow()
    {
        var random = new Random(99);
        var valid = Concat(DiagMessage(Sequence, multi: true, inode: 1, attributes: [8, 0, 1, 0, 0, 0, 0, 0]), DiagMessage(Sequence, multi: true, inode: 2), Control(Sequence, 3, 0));
        var sockets = new List<DiagSocket>();
        for (var i = 0; i < 20_000; i++)
        {
            var mutated = (byte[])valid.Clone();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
            {
                mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            }
            sockets.Clear();
            _ = SockDiagReply.Parse(mutated.AsSpan(0, random.Next(mutated.Length + 1)), Sequence, sockets);
            Assert.True(sockets.Count <= 2);
        }
    }

    [Theory]
    [InlineData("socket:[12345]", 12345ul)]
    [InlineData("socket:[0]", 0ul)]
    [InlineData("socket:[]", null)]
    [InlineData("socket:[12a]", null)]
    [InlineData("pipe:[12]", null)]
    [InlineData("socket:[12", null)]
    [InlineData("/dev/null", null)]
    public void SocketLinks_AreParsed(string link, ulong? inode)
    {
        var parsed = SocketOwners.TryParseSocketLink(System.Text.Encoding.ASCII.GetBytes(link), out var value);
        Assert.Equal(inode is not null, parsed);
        Assert.Equal(inode ?? 0, value);
    }

    private static byte[] DiagMessage(
        uint sequence, bool multi, byte family = 2, byte state = 1, byte[]? local = null, ushort localPort = 1, byte[]? remote = null,
        ushort remotePort = 2, uint uid = 0, uint inode = 0, ulong cookie = 1, byte[]? attributes = null)
    {
        attributes ??= [];
        var body = new byte[72];
        body[0] = family;
        body[1] = state;
        BinaryPrimitives.WriteUInt16BigEndian(body.AsSpan(4), localPort);
        BinaryPrimitives.WriteUInt16BigEndian(body.AsSpan(6), remotePort);
        (local ?? [127, 0, 0, 1]).CopyTo(body, 8);
        (remote ?? [127, 0, 0, 1]).CopyTo(body, 24);
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(44), (uint)cookie);
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(48), (uint)(cookie >> 32));
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(64), uid);
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(68), inode);
        var length = 16 + body.Length + attributes.Length;
        return [.. Header((uint)length, 20, (ushort)(multi ? 2 : 0), sequence), .. body, .. attributes, .. new byte[((length + 3) & ~3) - length]];
    }

    private static byte[] Control(uint sequence, ushort type, int error)
    {
        var message = Header(20, type, 2, sequence).Concat(new byte[4]).ToArray();
        BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(16), error);
        return message;
    }

    private static byte[] Header(uint length, ushort type, ushort flags, uint sequence)
    {
        var header = new byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(header, length);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(4), type);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(6), flags);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), sequence);
        return header;
    }

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];
}
