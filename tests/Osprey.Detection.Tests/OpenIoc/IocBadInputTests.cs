using System.Text;
using Osprey.Detection.OpenIoc;
using Xunit;
using static Osprey.Detection.Tests.OpenIoc.IocXml;

namespace Osprey.Detection.Tests.OpenIoc;

/// <summary>Hostile and broken documents are rejected whole, with a reason that says what is wrong and where.</summary>
public sealed class IocBadInputTests
{
    private static readonly string Valid = Item("is", "ProcessItem/name", "x");

    [Fact]
    public void Dtd_IsRefused_SoNoEntityIsExpanded()
    {
        var xml = """
            <?xml version="1.0"?>
            <!DOCTYPE OpenIOC [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> <!ENTITY a "aaaaaaaaaa"> ]>
            <OpenIOC xmlns="http://openioc.org/schemas/OpenIOC_1.1" id="x"><criteria><Indicator operator="OR" id="t">
            <IndicatorItem id="i" condition="is"><Context document="ProcessItem" search="ProcessItem/name"/><Content type="string">&xxe;</Content></IndicatorItem>
            </Indicator></criteria></OpenIOC>
            """;
        Assert.Contains("DTD", Reject(xml), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "not well-formed XML")]
    [InlineData("<OpenIOC xmlns=\"http://openioc.org/schemas/OpenIOC_1.1\"><criteria>", "not well-formed XML")]
    [InlineData("<rules/>", "not an OpenIOC document: the root element is 'rules'")]
    [InlineData("<OpenIOC xmlns=\"urn:other\"/>", "namespace 'urn:other'")]
    [InlineData("<OpenIOC xmlns=\"http://openioc.org/schemas/OpenIOC_1.1\" id=\"x\"/>", "needs a 'criteria' element")]
    [InlineData("<ioc xmlns=\"http://schemas.mandiant.com/2010/ioc\" id=\"x\"/>", "needs a 'definition' element")]
    [InlineData("<OpenIOC xmlns=\"http://openioc.org/schemas/OpenIOC_1.1\" id=\"x\"><criteria/></OpenIOC>", "holds no Indicator")]
    public void NotOpenIoc_IsRejected(string xml, string reason) => Assert.Contains(reason, Reject(xml), StringComparison.Ordinal);

    [Theory]
    [InlineData("is", "ProcessItem/name", "string", "x", "XOR", "operator 'XOR'")]
    [InlineData("looks-like", "ProcessItem/name", "string", "x", "OR", "condition 'looks-like'")]
    [InlineData("is", "FileItem/Md5sum", "md5", "not-a-hash", "OR", "is not an MD5 hash")]
    [InlineData("is", "FileItem/Sha256sum", "sha256", "0123", "OR", "is not an SHA256 hash")]
    [InlineData("is", "PortItem/remotePort", "int", "four", "OR", "'four' is not an integer")]
    [InlineData("greater-than", "PortItem/remotePort", "int", "1 TO 5", "OR", "can only be used with the condition 'is'")]
    [InlineData("is", "PortItem/remotePort", "int", "9 TO 5", "OR", "ends before it starts")]
    [InlineData("is", "ProcessItem/startTime", "date", "yesterday", "OR", "is not a date")]
    [InlineData("is", "PortItem/remoteIP", "IP", "300.1.1.1", "OR", "is not an IP address")]
    [InlineData("is", "PortItem/remoteIP", "IP", "10.0.0.0/33", "OR", "is not an IP address")]
    [InlineData("matches", "ProcessItem/name", "string", "([a-z]", "OR", "not a valid regular expression")]
    public void BadItem_RejectsTheDocument_NamingTheItemAndLine(string condition, string search, string type, string content, string op, string reason)
    {
        var xml = Document11(Indicator(op, "top", Valid, Item(condition, search, content, type, id: "bad-item")));
        var why = Reject(xml);
        Assert.Contains(reason, why, StringComparison.Ordinal);
        if (op == "OR")
        {
            Assert.Contains("'bad-item'", why, StringComparison.Ordinal);
            Assert.Contains("line ", why, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void MissingParts_AreNamed()
    {
        Assert.Contains("has no Context", Reject(Document11(Indicator("OR", "t", """<IndicatorItem id="i" condition="is"><Content type="string">x</Content></IndicatorItem>"""))), StringComparison.Ordinal);
        Assert.Contains("has no Content", Reject(Document11(Indicator("OR", "t", """<IndicatorItem id="i" condition="is"><Context document="ProcessItem" search="ProcessItem/name"/></IndicatorItem>"""))), StringComparison.Ordinal);
        Assert.Contains("no search term", Reject(Document11(Indicator("OR", "t", """<IndicatorItem id="i" condition="is"><Context document="ProcessItem"/><Content>x</Content></IndicatorItem>"""))), StringComparison.Ordinal);
        Assert.Contains("has no condition", Reject(Document11(Indicator("OR", "t", """<IndicatorItem id="i"><Context search="ProcessItem/name"/><Content>x</Content></IndicatorItem>"""))), StringComparison.Ordinal);
        Assert.Contains("negate=\"maybe\"", Reject(Document11(Indicator("OR", "t", """<IndicatorItem id="i" condition="is" negate="maybe"><Context search="ProcessItem/name"/><Content>x</Content></IndicatorItem>"""))), StringComparison.Ordinal);
        Assert.Contains("holds 'Note'", Reject(Document11(Indicator("OR", "t", "<Note/>"))), StringComparison.Ordinal);
    }

    [Fact]
    public void TooLarge_TooDeep_TooMany_AreRejected()
    {
        var huge = Document11(Indicator("OR", "t", Item("is", "ProcessItem/name", new string('a', IocLimits.MaxDocumentLength))));
        Assert.Contains("at most", Reject(huge), StringComparison.Ordinal);
        Assert.Contains("at most", IocParser.Parse(Encoding.UTF8.GetBytes(huge), "big.ioc").Reason, StringComparison.Ordinal);

        var deep = Valid;
        for (var i = 0; i < IocLimits.MaxDepth + 1; i++)
        {
            deep = Indicator("AND", $"d{i}", deep);
        }
        Assert.Contains($"deeper than {IocLimits.MaxDepth}", Reject(Document11(deep)), StringComparison.Ordinal);

        var longContent = Document11(Indicator("OR", "t", Item("is", "ProcessItem/name", new string('a', IocLimits.MaxContentLength + 1))));
        Assert.Contains("Content is", Reject(longContent), StringComparison.Ordinal);

        var many = Document11(Indicator("OR", "t", string.Concat(Enumerable.Repeat("""<IndicatorItem condition="is"><Context search="P/n"/><Content/></IndicatorItem>""", IocLimits.MaxNodes))));
        Assert.True(many.Length < IocLimits.MaxDocumentLength);
        Assert.Contains($"more than {IocLimits.MaxNodes}", Reject(many), StringComparison.Ordinal);
    }

    [Fact]
    public void BillionLaughs_IsRefused()
    {
        var xml = """
            <?xml version="1.0"?>
            <!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
            <OpenIOC xmlns="http://openioc.org/schemas/OpenIOC_1.1">&lol3;</OpenIOC>
            """;
        Assert.Contains("DTD", Reject(xml), StringComparison.Ordinal);
    }

    [Fact]
    public void Truncations_OfAValidDocument_AreAllRejectedWithAReason_NeverThrown()
    {
        var xml = Document11(Indicator("OR", "t", Valid, Item("is", "FileItem/Md5sum", "0123456789abcdef0123456789abcdef", "md5")));
        for (var cut = 0; cut < xml.Length - 1; cut += 7)
        {
            var result = IocParser.Parse(xml[..cut], "cut.ioc");
            Assert.False(result.Parsed);
            Assert.False(string.IsNullOrWhiteSpace(result.Reason));
        }
        // Bytes flipped at random positions: parsed or rejected, never an exception.
        var random = new Random(5);
        var bytes = Encoding.UTF8.GetBytes(xml);
        for (var round = 0; round < 300; round++)
        {
            var copy = (byte[])bytes.Clone();
            copy[random.Next(copy.Length)] = (byte)random.Next(256);
            var result = IocParser.Parse(copy, "flipped.ioc");
            Assert.True(result.Parsed || !string.IsNullOrWhiteSpace(result.Reason));
        }
    }

    [Fact]
    public void MissingIds_AreNamedByLine_AndWarned()
    {
        var result = IocParser.Parse(Document11("""<Indicator operator="OR"><IndicatorItem condition="is"><Context search="ProcessItem/name"/><Content>x</Content></IndicatorItem></Indicator>"""), "noid.ioc");
        Assert.True(result.Parsed, result.Message);
        Assert.StartsWith("line-", result.Document!.Indicators[0].Id, StringComparison.Ordinal);
        Assert.Equal(2, result.Warnings.Count(w => w.Contains("has no id", StringComparison.Ordinal)));
    }
}
