using Osprey.Agent.Sensors.Network;
using Osprey.Testing.Network;

namespace Osprey.Agent.Tests.Sensors.Network;

public sealed class DnsParserTests
{
    [Fact]
    public void Response_WithCnameChain_ResolvesOnlyTheQuestionsAddresses()
    {
        var query = DnsWire.Query(0xbeef, "www.example.test", 1);
        var message = new List<byte>(DnsWire.Response(query, 0));
        message[7] = 3;
        // www.example.test CNAME edge.cdn.test (written out), edge.cdn.test A 192.0.2.1 (owner by pointer),
        // and other.test A 192.0.2.9, which answers nothing that was asked.
        var cnameAt = message.Count + 12;
        message.AddRange([0xc0, 0x0c, 0, 5, 0, 1, 0, 0, 0, 60, 0, 15, .. DnsWire.Name("edge.cdn.test")]);
        message.AddRange([0xc0, (byte)cnameAt, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]);
        message.AddRange([.. DnsWire.Name("other.test"), 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 9]);

        var parsed = DnsParser.TryParse([.. message]);

        Assert.NotNull(parsed);
        Assert.Equal(0xbeef, parsed.Id);
        Assert.True(parsed.IsResponse);
        Assert.Equal("www.example.test", parsed.Name);
        Assert.Equal(1, parsed.QueryType);
        Assert.Equal(0, parsed.ResponseCode);
        Assert.Equal(["edge.cdn.test"], parsed.Aliases);
        Assert.Equal(["192.0.2.1"], parsed.Addresses.Select(a => a.ToString()));
        Assert.False(parsed.Incomplete);
    }

    [Fact]
    public void Response_WithAAndAaaa_ListsBoth()
    {
        var query = DnsWire.Query(1, "dual.test", 255);
        var parsed = DnsParser.TryParse(DnsWire.Response(query, 0, (1, [10, 1, 2, 3]), (28, [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])));
        Assert.NotNull(parsed);
        Assert.Equal(["10.1.2.3", "2001:db8::1"], parsed.Addresses.Select(a => a.ToString()));
    }

    [Fact]
    public void Query_IsReadWithItsQuestion()
    {
        var parsed = DnsParser.TryParse(DnsWire.Query(77, "Example.COM", 28));
        Assert.NotNull(parsed);
        Assert.False(parsed.IsResponse);
        Assert.Equal("example.com", parsed.Name);
        Assert.Equal(28, parsed.QueryType);
        Assert.Equal("AAAA", DnsNames.QueryType(parsed.QueryType));
    }

    [Fact]
    public void ExtendedResponseCode_FromOptRecord_IsCombined()
    {
        var message = new List<byte>(DnsWire.Response(DnsWire.Query(5, "edns.test", 1), 0));
        message[11] = 1;
        // OPT: root owner, type 41, UDP size 1232, TTL with extended RCODE 1 (so 16 = BADVERS), no data.
        message.AddRange([0, 0, 41, 0x04, 0xd0, 1, 0, 0, 0, 0, 0]);
        var parsed = DnsParser.TryParse([.. message]);
        Assert.NotNull(parsed);
        Assert.Equal("BADVERS", DnsNames.ResponseCode(parsed.ResponseCode));
    }

    [Fact]
    public void Names_WithUnusualBytes_AreEscaped()
    {
        byte[] message = [0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, (byte)'a', (byte)'.', 0, 1, (byte)'\\', 0, 0, 1, 0, 1];
        var parsed = DnsParser.TryParse(message);
        Assert.NotNull(parsed);
        Assert.Equal("a\\046\\000.\\092", parsed.Name);
    }

    [Fact]
    public void RootName_IsADot()
    {
        byte[] message = [0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1];
        Assert.Equal(".", DnsParser.TryParse(message)!.Name);
    }

    [Theory]
    [InlineData(new byte[] { 0xc0, 0x0c })]                          // points at itself
    [InlineData(new byte[] { 0xc0, 0x0e, 0x01, 0x61, 0xc0, 0x0c })]   // forward
    [InlineData(new byte[] { 0x01, 0x61, 0xc0, 0x0c })]               // back into its own run: a loop
    [InlineData(new byte[] { 0x05, 0x61, 0x62 })]                    // label beyond the end
    [InlineData(new byte[] { 0x41, 0x61 })]                          // 0x40 label type
    [InlineData(new byte[] { 0x81, 0x61 })]                          // 0x80 label type
    public void MalformedQuestionNames_AreRejected(byte[] name)
    {
        byte[] message = [0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, .. name, 0, 1, 0, 1];
        Assert.Null(DnsParser.TryParse(message));
    }

    [Fact]
    public void PointerLoopBetweenTwoNames_EndsTheAnswersWithoutThrowing()
    {
        var message = new List<byte>(DnsWire.Response(DnsWire.Query(3, "loop.test", 1), 0));
        message[7] = 2;
        var first = message.Count;
        // Two answers whose owners point at each other's start.
        message.AddRange([0xc0, (byte)(first + 16), 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4]);
        message.AddRange([0xc0, (byte)first, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 5, 6, 7, 8]);
        var parsed = DnsParser.TryParse([.. message]);
        Assert.NotNull(parsed);
        Assert.True(parsed.Incomplete);
        Assert.Empty(parsed.Addresses);
    }

    [Fact]
    public void NameLongerThan255Bytes_IsRejected()
    {
        var labels = string.Join('.', Enumerable.Repeat(new string('x', 63), 4));
        Assert.Null(DnsParser.TryParse(DnsWire.Query(1, labels, 1)));
        var fits = string.Join('.', Enumerable.Repeat(new string('x', 63), 3)) + "." + new string('y', 61);
        Assert.Equal(fits, DnsParser.TryParse(DnsWire.Query(1, fits, 1))!.Name);
    }

    [Fact]
    public void HugeCounts_AreTrustedOnlyAsFarAsTheData()
    {
        var response = DnsWire.Response(DnsWire.Query(4, "count.test", 1), 0, (1, [192, 0, 2, 4]));
        response[4] = response[5] = 0xff;
        Assert.NotNull(DnsParser.TryParse(response));
        response[4] = 0;
        response[5] = 1;
        response[6] = response[7] = response[8] = response[9] = response[10] = response[11] = 0xff;
        var parsed = DnsParser.TryParse(response);
        Assert.NotNull(parsed);
        Assert.True(parsed.Incomplete);
        Assert.Equal(["192.0.2.4"], parsed.Addresses.Select(a => a.ToString()));
    }

    [Fact]
    public void OtherOpcodesAndQuestionlessMessages_AreNotQueries()
    {
        var notify = DnsWire.Query(1, "zone.test", 6);
        notify[2] = 0x20;
        Assert.Null(DnsParser.TryParse(notify));
        var empty = DnsWire.Query(1, "zone.test", 6);
        empty[5] = 0;
        Assert.Null(DnsParser.TryParse(empty));
    }

    [Fact]
    public void EveryTruncation_OfAResponse_IsSafe()
    {
        var response = DnsWire.Response(DnsWire.Query(9, "cut.example.test", 1), 0, (1, [192, 0, 2, 1]), (1, [192, 0, 2, 2]));
        for (var length = 0; length < response.Length; length++)
        {
            var parsed = DnsParser.TryParse(response.AsSpan(0, length));
            if (length < 12 + DnsWire.Name("cut.example.test").Length + 4)
            {
                Assert.Null(parsed);
            }
            else
            {
                Assert.NotNull(parsed);
                Assert.True(parsed.Incomplete);
            }
        }
        Assert.False(DnsParser.TryParse(response)!.Incomplete);
    }

    [Fact]
    public void RandomMutations_NeverThrow()
    {
        var random = new Random(20240611);
        var valid = DnsWire.Response(DnsWire.Query(9, "fuzz.example.test", 1), 0, (1, [192, 0, 2, 1]), (28, new byte[16]), (5, DnsWire.Name("alias.test")));
        var parsedCount = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var mutated = (byte[])valid.Clone();
            for (var flips = random.Next(1, 6); flips > 0; flips--)
            {
                mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            }
            var length = random.Next(2) == 0 ? mutated.Length : random.Next(mutated.Length + 1);
            parsedCount += DnsParser.TryParse(mutated.AsSpan(0, length)) is null ? 0 : 1;
            var noise = new byte[random.Next(0, 300)];
            random.NextBytes(noise);
            _ = DnsParser.TryParse(noise);
        }
        // Most single-byte changes leave a readable message: the mutations reached past the header checks.
        Assert.InRange(parsedCount, 1000, 20_000);
    }
}
