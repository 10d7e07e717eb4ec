using System.Globalization;
using Osprey.Detection.Sigma;
using Xunit;

namespace Osprey.Detection.Tests.Sigma;

/// <summary>The 248 SigmaHQ Linux rules: every one compiles or is reported unsupported with a reason, and nearly all whose log source Osprey produces compile.</summary>
public sealed class SigmaCorpusTests(ITestOutputHelper output)
{
    private static readonly string[] ProducedLogSources = ["process_creation", "file_event", "network_connection", "auditd"];

    [Fact]
    public void EveryLinuxRule_CompilesOrIsUnsupportedWithAReason()
    {
        var files = Directory.EnumerateFiles(SigmaCorpus.LinuxRules, "*.yml", SearchOption.AllDirectories).ToList();
        Assert.Equal(248, files.Count);
        var results = SigmaCorpus.Results;
        Assert.Equal(files.Order(StringComparer.Ordinal), results.Select(r => r.Source).Distinct().Order(StringComparer.Ordinal));
        foreach (var result in results)
        {
            Assert.True(result.Status != SigmaCompileStatus.Invalid, result.Message);
            Assert.NotNull(result.Rule);
            if (result.Status == SigmaCompileStatus.Compiled)
            {
                Assert.NotNull(result.Compiled);
                Assert.NotEmpty(result.Compiled.RecordKinds);
                Assert.Null(result.Reason);
            }
            else
            {
                Assert.False(string.IsNullOrWhiteSpace(result.Reason), result.Message);
                Assert.Null(result.Compiled);
            }
        }
    }

    [Fact]
    public void AtLeast95Percent_OfRulesWhoseLogSourceOspreyProduces_Compile()
    {
        var results = SigmaCorpus.Results;
        var produced = results.Where(r => ProducedLogSources.Contains(LogSourceOf(r))).ToList();
        var compiled = produced.Count(r => r.Status == SigmaCompileStatus.Compiled);
        var share = (double)compiled / produced.Count;

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rules: {results.Count}; compiled {results.Count(r => r.Status == SigmaCompileStatus.Compiled)}, unsupported {results.Count(r => r.Status == SigmaCompileStatus.Unsupported)}, invalid {results.Count(r => r.Status == SigmaCompileStatus.Invalid)}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"log sources Osprey produces ({string.Join(", ", ProducedLogSources)}): {compiled} of {produced.Count} compile ({share:P1})"));
        foreach (var group in results.GroupBy(LogSourceOf).OrderByDescending(g => g.Count()))
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {group.Key}: {group.Count(r => r.Status == SigmaCompileStatus.Compiled)} of {group.Count()} compiled"));
        }

        output.WriteLine("unsupported reasons:");
        foreach (var group in results.Where(r => r.Status == SigmaCompileStatus.Unsupported).GroupBy(r => Summary(r.Reason!)).OrderByDescending(g => g.Count()))
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {group.Count(),3} × {group.Key}"));
        }

        foreach (var result in produced.Where(r => r.Status != SigmaCompileStatus.Compiled))
        {
            output.WriteLine("  " + result.Message);
        }

        Assert.True(produced.Count >= 200, $"only {produced.Count} rules of the produced log sources");
        Assert.True(share >= 0.95, string.Create(CultureInfo.InvariantCulture, $"{compiled} of {produced.Count} ({share:P1}) rules of the log sources Osprey produces compile; at least 95% must"));
    }

    [Fact]
    public void UnsupportedLogSources_SayWhichAndWhy()
    {
        var sshd = SigmaCorpus.Results.First(r => r.Rule?.LogSource.Service == "sshd");
        Assert.Equal(SigmaCompileStatus.Unsupported, sshd.Status);
        Assert.Contains("service: sshd", sshd.Reason, StringComparison.Ordinal);
        Assert.Contains("sshd log lines", sshd.Reason, StringComparison.Ordinal);

        var builtin = SigmaCorpus.Results.First(r => r.Rule?.LogSource is { Category: null, Service: null });
        Assert.Equal(SigmaCompileStatus.Unsupported, builtin.Status);
        Assert.Contains("neither category nor service", builtin.Reason, StringComparison.Ordinal);

        var hostname = Assert.Single(SigmaCorpus.Results, r => r.Source.EndsWith("net_connection_lnx_ngrok_tunnel.yml", StringComparison.Ordinal));
        Assert.Equal(SigmaCompileStatus.Unsupported, hostname.Status);
        Assert.Contains("DestinationHostname", hostname.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void CompiledRules_CarryTheirMetadataAndAttackTags()
    {
        var rule = SigmaCorpus.CompiledRule("rules/linux/process_creation/proc_creation_lnx_base64_execution.yml").Rule;
        Assert.Equal("ba592c6d-6888-43c3-b8c6-689b8fe47337", rule.Id);
        Assert.Equal("Linux Base64 Encoded Pipe to Shell", rule.Title);
        Assert.Equal(SigmaLevel.Medium, rule.Level);
        Assert.Equal("test", rule.Status);
        Assert.Equal(["T1140"], rule.AttackTechniques);
        Assert.Equal(["stealth"], rule.AttackTactics);
        Assert.Equal(["attack.stealth", "attack.t1140"], rule.Tags);
        Assert.Equal(new SigmaLogSource("process_creation", "linux", null), rule.LogSource);
        Assert.Contains("https://github.com/arget13/DDexec", rule.References);
        Assert.Equal(["Legitimate administration activities"], rule.FalsePositives);
        Assert.StartsWith("Detects suspicious process command line", rule.Description, StringComparison.Ordinal);

        var subTechnique = SigmaCorpus.CompiledRule("rules/linux/process_creation/proc_creation_lnx_setgid_setuid.yml").Rule;
        Assert.Equal(["T1548.001"], subTechnique.AttackTechniques);
        Assert.Equal(["persistence", "privilege-escalation"], subTechnique.AttackTactics);
    }

    private static string LogSourceOf(SigmaCompileResult result) =>
        result.Rule?.LogSource is { } source ? source.Category ?? source.Service ?? "(none)" : "(unread)";

    /// <summary>The reason without the rule's own details (values, kinds), to group rules by cause.</summary>
    private static string Summary(string reason)
    {
        var text = reason.StartsWith("line ", StringComparison.Ordinal) ? reason[(reason.IndexOf(':', StringComparison.Ordinal) + 2)..] : reason;
        if (text.StartsWith("no Osprey event can match", StringComparison.Ordinal))
        {
            return "the condition can never hold for the auditd records Osprey derives (system call or record type not produced)";
        }

        if (text.StartsWith("field '", StringComparison.Ordinal))
        {
            var end = text.IndexOf(':', StringComparison.Ordinal);
            return end > 0 ? text[..end] : text;
        }

        return text.StartsWith("log source", StringComparison.Ordinal) ? text[(text.IndexOf(':', StringComparison.Ordinal) + 2)..] : text;
    }
}
