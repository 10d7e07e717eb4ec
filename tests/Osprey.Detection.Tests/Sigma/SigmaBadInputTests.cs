using System.Text;
using Osprey.Detection.Sigma;
using Xunit;
using static Osprey.Detection.Tests.Sigma.SigmaTestRules;

namespace Osprey.Detection.Tests.Sigma;

/// <summary>Rules are outside input: broken ones are Invalid with a reason naming the fault and its line, never an exception or a hang.</summary>
public sealed class SigmaBadInputTests
{
    private static SigmaCompileResult Invalid(string yaml)
    {
        var result = CompileResult(yaml, "bad.yml");
        Assert.True(result.Status == SigmaCompileStatus.Invalid, result.Message);
        Assert.False(string.IsNullOrWhiteSpace(result.Reason));
        Assert.StartsWith("bad.yml: invalid", result.Message, StringComparison.Ordinal);
        return result;
    }

    [Fact]
    public void BrokenYaml_IsInvalid_WithTheLine()
    {
        var result = Invalid("title: x\nlogsource:\n    product: linux\ndetection:\n    selection:\n        Image: [unclosed\n    condition: selection\n");
        Assert.Contains("broken YAML", result.Reason, StringComparison.Ordinal);
        Assert.Matches("^line [0-9]+:", result.Reason!);
    }

    [Fact]
    public void UnknownModifier_IsInvalid_AndNamed()
    {
        var result = Invalid(Yaml("selection:\n    CommandLine|contians: 'x'\ncondition: selection"));
        Assert.Contains("unknown modifier 'contians' in 'CommandLine|contians'", result.Reason, StringComparison.Ordinal);
        Assert.StartsWith("line 13:", result.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("(unclosed")]
    [InlineData("a{2,1}")]
    [InlineData("[z-a]")]
    public void BadRegex_IsInvalid(string pattern)
    {
        var result = Invalid(Yaml($"selection:\n    CommandLine|re: '{pattern}'\ncondition: selection"));
        Assert.Contains("bad regular expression", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void RegexThatNeedsBacktracking_IsUnsupported()
    {
        var result = CompileResult(Yaml("selection:\n    CommandLine|re: '(a+)\\1'\ncondition: selection"));
        Assert.Equal(SigmaCompileStatus.Unsupported, result.Status);
        Assert.Contains("backtracking", result.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("selection and filter", "unknown search identifier 'filter'")]
    [InlineData("1 of filter_*", "the pattern 'filter_*' matches no search identifier")]
    [InlineData("selection and", "the condition ends where a search identifier was expected")]
    [InlineData("(selection", "missing ')'")]
    [InlineData("selection)", "unexpected ')'")]
    [InlineData("selection selection", "unexpected 'selection'")]
    [InlineData("selection*", "is a pattern")]
    [InlineData("3 of them", "can never match")]
    [InlineData("all selection", "expected 'of'")]
    public void BadCondition_IsInvalid(string condition, string expected)
    {
        var result = Invalid(Yaml($"selection:\n    Image: '/usr/bin/x'\ncondition: {condition}"));
        Assert.Contains(expected, result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Utf16WithoutBase64_IsUnsupported()
    {
        var result = CompileResult(Yaml("selection:\n    CommandLine|wide|contains: 'x'\ncondition: selection"));
        Assert.Equal(SigmaCompileStatus.Unsupported, result.Status);
        Assert.Contains("utf16 encoding without base64", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Aggregations_AreUnsupported()
    {
        var result = CompileResult(Yaml("selection:\n    Image: '/usr/bin/x'\ncondition: selection | count() > 5"));
        Assert.Equal(SigmaCompileStatus.Unsupported, result.Status);
        Assert.Contains("aggregation", result.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("logsource:\n    product: linux\ndetection:\n    selection:\n        Image: x\n    condition: selection\n", "no title")]
    [InlineData("title: t\ndetection:\n    selection:\n        Image: x\n    condition: selection\n", "no logsource")]
    [InlineData("title: t\nlogsource:\n    product: linux\n", "no detection section")]
    [InlineData("title: t\nlogsource:\n    product: linux\ndetection:\n    selection:\n        Image: x\n", "no condition")]
    [InlineData("title: t\nlogsource:\n    product: linux\ndetection:\n    condition: selection\n", "no search identifiers")]
    [InlineData("title: t\nlevel: severe\nlogsource:\n    product: linux\ndetection:\n    selection:\n        Image: x\n    condition: selection\n", "level 'severe'")]
    [InlineData("- just\n- a list\n", "must be a YAML mapping")]
    [InlineData("title: t\nlogsource:\n    category: process_creation\ndetection:\n    selection:\n        Image:\n            - a\n            - null\n    condition: selection\n", "null cannot be one of several values")]
    [InlineData("title: t\nlogsource:\n    category: process_creation\ndetection:\n    selection:\n        Image:\n            - [a, b]\n    condition: selection\n", "values must be plain values")]
    [InlineData("title: t\nlogsource:\n    category: process_creation\ndetection:\n    selection:\n        Image: x\n        Image: y\n    condition: selection\n", "duplicate key 'Image'")]
    [InlineData("title: t\nlogsource:\n    category: process_creation\ndetection:\n    selection:\n        CommandLine|contains|base64: 'x'\n    condition: selection\n", "base64 cannot encode the wildcards")]
    [InlineData("title: t\nlogsource:\n    category: process_creation\ndetection:\n    selection:\n        CommandLine|contains|re: 'x'\n    condition: selection\n", "re must come before")]
    [InlineData("title: t\nlogsource:\n    category: process_creation\ndetection:\n    selection:\n        CommandLine|i: 'x'\n    condition: selection\n", "only follows re")]
    [InlineData("title: t\nlogsource:\n    category: process_creation\ndetection:\n    selection:\n        ProcessId|gt: many\n    condition: selection\n", "'many' is not a number")]
    [InlineData("title: t\nlogsource:\n    category: network_connection\ndetection:\n    selection:\n        DestinationIp|cidr: 10.0.0.0/33\n    condition: selection\n", "bad prefix length")]
    [InlineData("title: t\nlogsource:\n    category: process_creation\ndetection:\n    selection:\n        Image|exists: maybe\n    condition: selection\n", "exists takes true or false")]
    [InlineData("title: t\nlogsource:\n    category: process_creation\ndetection:\n    selection:\n        Image: []\n    condition: selection\n", "empty list of values")]
    public void MalformedRules_AreInvalid(string yaml, string expected)
    {
        var result = Invalid(yaml);
        Assert.Contains(expected, result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void DeepNesting_IsInvalid_NotAStackOverflow()
    {
        var yaml = "title: t\nx: " + new string('[', 200_000) + new string(']', 200_000) + "\n";
        Assert.Contains("nested deeper", Invalid(yaml).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AliasBombs_AreInvalid_Quickly()
    {
        var yaml = new StringBuilder("title: t\nx-anchors:\n    a0: &a0 ['x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x']\n");
        for (var i = 1; i < 12; i++)
        {
            yaml.Append($"    a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]\n");
        }

        yaml.Append("logsource:\n    category: process_creation\ndetection:\n    selection:\n        CommandLine: *a11\n    condition: selection\n");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = Invalid(yaml.ToString());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        Assert.Contains("values must be plain values", result.Reason, StringComparison.Ordinal);

        var flat = new StringBuilder("title: t\nx-values: &v [");
        flat.Append(string.Join(", ", Enumerable.Repeat("'x'", 1000))).Append("]\nlogsource:\n    category: process_creation\ndetection:\n    selection:\n");
        for (var i = 0; i < 30; i++)
        {
            flat.Append($"        - CommandLine{i}: *v\n");
        }

        flat.Append("    condition: selection\n");
        Assert.Contains("more than 20000 values", Invalid(flat.ToString()).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void OversizedFile_IsInvalid()
    {
        var yaml = "title: t\ndescription: '" + new string('x', SigmaLimits.MaxFileLength) + "'\n";
        Assert.Contains("longer than", Invalid(yaml).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void MangledCorpusRules_NeverThrow()
    {
        var sources = new[]
        {
            "rules/linux/process_creation/proc_creation_lnx_chmod_targeting_sensitive_directories.yml",
            "rules/linux/auditd/execve/lnx_auditd_binary_padding.yml",
            "rules/linux/network_connection/net_connection_lnx_susp_malware_callback_port.yml",
        }.Select(p => File.ReadAllText(SigmaCorpus.Rule(p))).ToList();
        var random = new Random(20260805);
        var compiler = new SigmaCompiler();
        const string Alphabet = "|*?\\'\":-[]{}()&!#% \n\ta0Z";
        var statuses = new HashSet<SigmaCompileStatus>();
        for (var round = 0; round < 1500; round++)
        {
            var text = new StringBuilder(sources[round % sources.Count]);
            for (var edits = random.Next(1, 6); edits > 0; edits--)
            {
                var at = random.Next(text.Length);
                switch (random.Next(3))
                {
                    case 0:
                        text.Remove(at, Math.Min(random.Next(1, 20), text.Length - at));
                        break;
                    case 1:
                        text.Insert(at, Alphabet[random.Next(Alphabet.Length)]);
                        break;
                    default:
                        text[at] = Alphabet[random.Next(Alphabet.Length)];
                        break;
                }
            }

            foreach (var result in compiler.Compile(text.ToString(), "mangled.yml"))
            {
                statuses.Add(result.Status);
                Assert.True(result.Status == SigmaCompileStatus.Compiled || !string.IsNullOrWhiteSpace(result.Reason), result.Message);
                Assert.Equal(result.Status == SigmaCompileStatus.Compiled, result.Compiled is not null);
            }
        }

        Assert.Contains(SigmaCompileStatus.Invalid, statuses);
        Assert.Contains(SigmaCompileStatus.Compiled, statuses);
    }
}
