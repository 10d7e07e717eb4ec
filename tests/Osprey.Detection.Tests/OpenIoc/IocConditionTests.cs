using Xunit;
using static Osprey.Detection.Tests.OpenIoc.IocXml;

namespace Osprey.Detection.Tests.OpenIoc;

/// <summary>Each condition, negation, case and data type of an IndicatorItem, against objects that match and objects that do not.</summary>
public sealed class IocConditionTests
{
    private static IocTestObject Process(string name, string arguments = "", int pid = 100) =>
        new("ProcessItem", ("name", name), ("arguments", arguments), ("pid", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    [Theory]
    [InlineData("is", "sshd", "sshd", true)]
    [InlineData("is", "sshd", "SSHD", true)]
    [InlineData("is", "sshd", "sshd2", false)]
    [InlineData("isnot", "sshd", "bash", true)]
    [InlineData("isnot", "sshd", "SSHD", false)]
    [InlineData("contains", "mine", "xmrminer", true)]
    [InlineData("contains", "mine", "bash", false)]
    [InlineData("containsnot", "mine", "bash", true)]
    [InlineData("containsnot", "mine", "xMINEr", false)]
    [InlineData("starts-with", "kwork", "kworker/0:1", true)]
    [InlineData("starts-with", "kwork", "xkworker", false)]
    [InlineData("ends-with", ".sh", "evil.SH", true)]
    [InlineData("ends-with", ".sh", "evil.sh.txt", false)]
    [InlineData("matches", "^x[a-z]+r$", "xmrminer", true)]
    [InlineData("matches", "^x[a-z]+r$", "xmr-miner", false)]
    [InlineData("matches", "min", "xmrminer", true)]
    public void StringConditions(string condition, string content, string name, bool expected) =>
        Assert.Equal(expected, Matches(Item(condition, "ProcessItem/name", content), Process(name)));

    [Theory]
    [InlineData("is", false, "Bash", true)]
    [InlineData("is", true, "Bash", false)]
    [InlineData("is", true, "bash", true)]
    [InlineData("contains", true, "xBASHx", false)]
    [InlineData("matches", true, "BASH", false)]
    [InlineData("matches", false, "BASH", true)]
    public void PreserveCase_MakesTheComparisonCaseSensitive(string condition, bool preserveCase, string name, bool expected) =>
        Assert.Equal(expected, Matches(Item(condition, "ProcessItem/name", "bash", preserveCase: preserveCase), Process(name)));

    [Theory]
    [InlineData("is", false, "bash", true)]
    [InlineData("is", true, "bash", false)]
    [InlineData("is", true, "zsh", true)]
    [InlineData("isnot", true, "bash", true)]
    [InlineData("contains", true, "dash", true)]
    public void Negate_InvertsTheCondition_AndIsnotNegatedTwiceHolds(string condition, bool negate, string name, bool expected) =>
        Assert.Equal(expected, Matches(Item(condition, "ProcessItem/name", "bash", negate: negate), Process(name)));

    [Fact]
    public void Negate_OnAnObjectWithoutTheTerm_DoesNotHold()
    {
        var noArguments = new IocTestObject("ProcessItem", ("name", "bash"));
        Assert.False(Matches(Item("contains", "ProcessItem/arguments", "-c", negate: true), noArguments));
        Assert.False(Matches(Item("contains", "ProcessItem/arguments", "-c"), noArguments));
    }

    [Theory]
    [InlineData("is", "4444", "4444", true)]
    [InlineData("is", "4444", "04444", true)]
    [InlineData("is", "4444", "4445", false)]
    [InlineData("greater-than", "1024", "4444", true)]
    [InlineData("greater-than", "1024", "1024", false)]
    [InlineData("greater-than", "1024", "80", false)]
    [InlineData("less-than", "1024", "80", true)]
    [InlineData("less-than", "1024", "4444", false)]
    [InlineData("is", "4000 TO 5000", "4444", true)]
    [InlineData("is", "4000 TO 5000", "5000", true)]
    [InlineData("is", "4000 TO 5000", "5001", false)]
    [InlineData("is", "0x115c", "4444", true)]
    [InlineData("contains", "44", "4444", true)]
    [InlineData("is", "4444", "not a number", false)]
    public void IntConditions(string condition, string content, string port, bool expected) =>
        Assert.Equal(expected, Matches(Item(condition, "PortItem/remotePort", content, "int"), new IocTestObject("PortItem", ("remotePort", port))));

    [Theory]
    [InlineData("is", "2024-03-01T10:00:00Z", "2024-03-01T10:00:00Z", true)]
    [InlineData("is", "2024-03-01T10:00:00Z", "2024-03-01T11:00:00+01:00", true)]
    [InlineData("is", "2024-03-01T10:00:00Z", "2024-03-01T10:00:01Z", false)]
    [InlineData("greater-than", "2024-03-01T00:00:00Z", "2024-03-02T00:00:00Z", true)]
    [InlineData("greater-than", "2024-03-01T00:00:00Z", "2024-02-28T00:00:00Z", false)]
    [InlineData("less-than", "2024-03-01T00:00:00Z", "2024-02-28T00:00:00Z", true)]
    [InlineData("is", "2024-01-01T00:00:00Z TO 2024-12-31T23:59:59Z", "2024-06-15T12:00:00Z", true)]
    [InlineData("is", "2024-01-01T00:00:00Z TO 2024-12-31T23:59:59Z", "2025-01-01T00:00:00Z", false)]
    public void DateConditions(string condition, string content, string started, bool expected) =>
        Assert.Equal(expected, Matches(Item(condition, "ProcessItem/startTime", content, "date"), new IocTestObject("ProcessItem", ("startTime", started))));

    [Theory]
    [InlineData("is", "PT5M", "300", true)]
    [InlineData("greater-than", "PT1H", "7200", true)]
    [InlineData("less-than", "60", "PT2M", false)]
    [InlineData("is", "PT1M TO PT10M", "PT5M", true)]
    [InlineData("is", "PT1M TO PT10M", "PT11M", false)]
    public void DurationConditions(string condition, string content, string ttl, bool expected) =>
        Assert.Equal(expected, Matches(Item(condition, "DnsEntryItem/TimeToLive", content, "duration"), new IocTestObject("DnsEntryItem", ("TimeToLive", ttl))));

    [Theory]
    [InlineData("md5", "FileItem/Md5sum", "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e", true)]
    [InlineData("md5", "FileItem/Md5sum", "d41d8cd98f00b204e9800998ecf8427e", "d41d8cd98f00b204e9800998ecf8427f", false)]
    [InlineData("sha1", "FileItem/Sha1sum", "da39a3ee5e6b4b0d3255bfef95601890afd80709", "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", true)]
    [InlineData("sha256", "FileItem/Sha256sum", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", true)]
    [InlineData("sha256", "FileItem/Sha256sum", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b856", false)]
    public void HashConditions_IgnoreCase(string type, string search, string content, string value, bool expected) =>
        Assert.Equal(expected, Matches(Item("is", search, content, type, preserveCase: true), new IocTestObject("FileItem", (search.Split('/')[1], value))));

    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7", true)]
    [InlineData("203.0.113.7", "203.0.113.8", false)]
    [InlineData("203.0.113.0/24", "203.0.113.200", true)]
    [InlineData("203.0.113.0/24", "203.0.114.1", false)]
    [InlineData("203.0.113.7", "::ffff:203.0.113.7", true)]
    [InlineData("2001:db8::/32", "2001:db8:1::5", true)]
    [InlineData("2001:db8::/32", "2001:db9::5", false)]
    [InlineData("2001:db8::1", "203.0.113.7", false)]
    public void IpConditions_AddressesAndCidr(string content, string remote, bool expected) =>
        Assert.Equal(expected, Matches(Item("is", "PortItem/remoteIP", content, "IP"), new IocTestObject("PortItem", ("remoteIP", remote))));

    [Fact]
    public void IpContains_IsOnTheText() =>
        Assert.True(Matches(Item("contains", "PortItem/remoteIP", "203.0.113", "IP"), new IocTestObject("PortItem", ("remoteIP", "203.0.113.9"))));

    [Theory]
    [InlineData("greater-than", "1000", "20000", true)]
    [InlineData("greater-than", "1000", "999", false)]
    [InlineData("less-than", "m", "bash", true)]
    [InlineData("less-than", "m", "zsh", false)]
    public void OrderOnStringContent_NumericWhenBothAreNumbers(string condition, string content, string value, bool expected) =>
        Assert.Equal(expected, Matches(Item(condition, "ProcessItem/name", content), Process(value)));

    [Fact]
    public void ListTerm_HoldsWhenAnyValueHolds_NegatedWhenNone()
    {
        var multi = new IocTestObject("UserItem", ("Username", "alice"), ("Username", "root"));
        Assert.True(Matches(Item("is", "UserItem/Username", "root"), multi));
        Assert.False(Matches(Item("is", "UserItem/Username", "root", negate: true), multi));
        Assert.True(Matches(Item("is", "UserItem/Username", "bob", negate: true), multi));
    }

    [Fact]
    public void Regex_NeedingBacktracking_RunsWithATimeout()
    {
        // A backreference needs the backtracking engine; it still works on ordinary input.
        Assert.True(Matches(Item("matches", "ProcessItem/arguments", @"(\w+) \1"), Process("sh", "echo echo")));
        Assert.False(Matches(Item("matches", "ProcessItem/arguments", @"(\w+) \1"), Process("sh", "echo hello")));
    }

    [Fact]
    public void Regex_WrittenForPcre_EscapedUnderscoreIsLiteral() =>
        Assert.True(Matches(Item("matches", "ProcessItem/arguments", @"ShellExec\_RunDLL"), Process("rundll32", "SHELL32.DLL,ShellExec_RunDLL x")));
}
