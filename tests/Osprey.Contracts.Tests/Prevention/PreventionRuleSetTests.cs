using Xunit;
using Osprey.Contracts.Prevention;
using Osprey.Contracts.V1;

namespace Osprey.Contracts.Tests.Prevention;

public sealed class PreventionRuleSetTests
{
    private const string Sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    private const string Md5 = "098f6bcd4621d373cade4e832627b4f6";

    [Theory]
    [InlineData("/tmp/*.sh", "/tmp/a.sh", true)]
    [InlineData("/tmp/*.sh", "/tmp/x/a.sh", false)]
    [InlineData("/tmp/**/*.sh", "/tmp/a.sh", true)]
    [InlineData("/tmp/**/*.sh", "/tmp/x/y/a.sh", true)]
    [InlineData("/tmp/**", "/tmp/x/y/z", true)]
    [InlineData("/tmp/**", "/var/tmp/x", false)]
    [InlineData("/home/*/bin/?ool", "/home/ann/bin/tool", true)]
    [InlineData("/home/*/bin/?ool", "/home/ann/bin/spool", false)]
    [InlineData("/opt/app[0-9]/run", "/opt/app7/run", true)]
    [InlineData("/opt/app[!0-9]/run", "/opt/app7/run", false)]
    [InlineData("/usr/bin/TOOL", "/usr/bin/tool", false)]
    [InlineData("/a.b/c+d(e)", "/a.b/c+d(e)", true)]
    [InlineData("/a.b", "/aXb", false)]
    public void PathPatterns_ComponentsAndDoubleStar(string pattern, string path, bool matches)
    {
        var compiled = PathPattern.TryParse(pattern, out var error);
        Assert.True(compiled is not null, error);
        Assert.Equal(matches, compiled.IsMatch(path));
    }

    [Theory]
    [InlineData("/tmp/**/*.sh", "/tmp")]
    [InlineData("/usr/bin/ba?h", "/usr/bin")]
    [InlineData("/*", "/")]
    [InlineData("/opt/app[0-9]/run", "/opt")]
    [InlineData("/srv/exact/file", "/srv/exact")]
    public void PathPatterns_KnowTheDirectoryTheirMatchesLieIn(string pattern, string directory) =>
        Assert.Equal(directory, PathPattern.TryParse(pattern, out _)!.Directory);

    [Theory]
    [InlineData("tmp/*", "must be absolute")]
    [InlineData("", "must be absolute")]
    [InlineData("/tmp/[abc", "without a closing ']'")]
    public void BadPathPatterns_AreRefusedWithTheReason(string pattern, string reason)
    {
        Assert.Null(PathPattern.TryParse(pattern, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryCriterionOfARuleMustMatch_AndBlockWinsOverAudit()
    {
        var rules = PreventionRuleSet.Compile(Policy(
            new PreventionRule { RuleId = "audit-all-tmp", PathPattern = "/tmp/**", Mode = PreventionMode.Audit },
            new PreventionRule { RuleId = "block-hash-in-tmp", Sha256 = Sha.ToUpperInvariant(), PathPattern = "/tmp/*", Mode = PreventionMode.Block }));
        Assert.Empty(rules.Rejected);
        Assert.True(rules.PathDependent);

        var match = rules.Find(PreventionTarget.Executables, "/tmp/x", () => (Md5, Sha));
        Assert.Equal("block-hash-in-tmp", match!.Rule.RuleId);
        Assert.Equal("sha256", match.MatchedBy);

        var otherContent = rules.Find(PreventionTarget.Executables, "/tmp/x", () => (Md5, new string('0', 64)));
        Assert.Equal("audit-all-tmp", otherContent!.Rule.RuleId);
        Assert.Equal("path", otherContent.MatchedBy);

        Assert.Null(rules.Find(PreventionTarget.Executables, "/usr/bin/x", () => (Md5, Sha)));
        // No targets given: executables and scripts, not documents.
        Assert.Null(rules.Find(PreventionTarget.Documents, "/tmp/x", () => (Md5, Sha)));
    }

    [Fact]
    public void HashesAreComputedOnlyWhenARuleNeedsThem_AndUnknownHashesMatchNoHashRule()
    {
        var rules = PreventionRuleSet.Compile(Policy(
            new PreventionRule { RuleId = "md5", Md5 = Md5, Mode = PreventionMode.Block, Targets = { PreventionTarget.Documents } },
            new PreventionRule { RuleId = "path", PathPattern = "/srv/*.doc", Mode = PreventionMode.Audit, Targets = { PreventionTarget.Scripts } }));
        var asked = 0;
        Assert.Null(rules.Find(PreventionTarget.Scripts, "/srv/a.txt", () => { asked++; return (Md5, Sha); }));
        Assert.Equal(0, asked);
        Assert.Equal("md5", rules.Find(PreventionTarget.Documents, "/any", () => { asked++; return (Md5, Sha); })!.MatchedBy);
        Assert.Equal(1, asked);
        Assert.Null(rules.Find(PreventionTarget.Documents, "/any", () => null));
    }

    [Fact]
    public void InvalidRules_AreListedWithTheReason_ValidOnesCompile()
    {
        var rules = PreventionRuleSet.Compile(Policy(
            new PreventionRule { RuleId = "ok", Sha256 = Sha, Mode = PreventionMode.Block },
            new PreventionRule { RuleId = "short-hash", Sha256 = "abc", Mode = PreventionMode.Block },
            new PreventionRule { RuleId = "bad-md5", Md5 = new string('z', 32), Mode = PreventionMode.Block },
            new PreventionRule { RuleId = "nothing", Mode = PreventionMode.Block },
            new PreventionRule { RuleId = "no-mode", Sha256 = Sha },
            new PreventionRule { Sha256 = Sha, Mode = PreventionMode.Block },
            new PreventionRule { RuleId = "relative", PathPattern = "bin/*", Mode = PreventionMode.Audit }));
        Assert.Equal(1, rules.RuleCount);
        var reasons = rules.Rejected.ToDictionary(r => r.ObjectName, r => r.Message);
        Assert.Contains("is not 64 hexadecimal digits", reasons["short-hash"], StringComparison.Ordinal);
        Assert.Contains("is not 32 hexadecimal digits", reasons["bad-md5"], StringComparison.Ordinal);
        Assert.Contains("gives no criterion", reasons["nothing"], StringComparison.Ordinal);
        Assert.Contains("mode must be block or audit", reasons["no-mode"], StringComparison.Ordinal);
        Assert.Contains("no rule ID", reasons["#6"], StringComparison.Ordinal);
        Assert.Contains("must be absolute", reasons["relative"], StringComparison.Ordinal);
    }

    [Fact]
    public void DuplicateRuleIds_RefuseThePolicy()
    {
        var error = Assert.Throws<ArgumentException>(() => PreventionRuleSet.Compile(Policy(
            new PreventionRule { RuleId = "same", Sha256 = Sha, Mode = PreventionMode.Block },
            new PreventionRule { RuleId = "same", Md5 = Md5, Mode = PreventionMode.Block })));
        Assert.Contains("rule ID 'same' is used by more than one rule", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HashOnlyRules_AreNotPathDependent_AndCoverTheirTargets()
    {
        var rules = PreventionRuleSet.Compile(Policy(new PreventionRule { RuleId = "h", Sha256 = Sha, Mode = PreventionMode.Block, Targets = { PreventionTarget.Executables } }));
        Assert.False(rules.PathDependent);
        Assert.True(rules.Covers(PreventionTarget.Executables));
        Assert.False(rules.Covers(PreventionTarget.Scripts));
        Assert.True(rules.NeedsHashes(PreventionTarget.Executables));
    }

    private static PreventionPolicy Policy(params PreventionRule[] rules) => new() { Version = 1, Rules = { rules } };
}
