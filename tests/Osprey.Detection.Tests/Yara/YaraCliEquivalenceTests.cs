using System.Text;
using Osprey.Detection.Yara;
using Osprey.Testing.Paths;
using Osprey.Testing.Processes;
using Xunit;

namespace Osprey.Detection.Tests.Yara;

/// <summary>
/// Osprey's scanner against the <c>yara</c> command (Debian's, on the same libyara): on the same rules and the same
/// tree, the (rule, file) pairs must be equal. Rules: the Linux subsets of the YARA corpus; tree: a copy of real
/// programs from /usr/bin plus files planted to trigger known corpus rules.
/// </summary>
public sealed class YaraCliEquivalenceTests
{
    [Fact]
    public async Task Scan_CorpusRulesOnRealFiles_GivesTheSamePairsAsYaraR()
    {
        var files = YaraCorpus.LinuxRuleFiles();
        using var tree = new TempDirectory("osprey-yara-equal");
        BuildTree(tree.Path);

        // -N: symbolic links are not followed (Osprey never follows them); -w: no warnings; -e: namespace:rule.
        var arguments = new List<string> { "-N", "-r", "-w", "-e", "-p", "2" };
        arguments.AddRange(files.Select(f => $"{YaraCorpus.NamespaceOf(f)}:{f}"));
        arguments.Add(tree.Path);
        var cli = await CommandRunner.RunAsync("yara", arguments, timeout: TimeSpan.FromMinutes(3), cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(cli.ExitCode == 0, $"yara exited {cli.ExitCode}: {cli.Stderr}");
        var expected = cli.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            return $"{line[..space]} {line[(space + 1)..]}";
        }).ToHashSet(StringComparer.Ordinal);

        using var rules = YaraCompiler.Build(YaraCorpus.Sources(files));
        var actual = new HashSet<string>(StringComparer.Ordinal);
        YaraTreeScan.Run(rules, new YaraTreeOptions { Paths = [tree.Path], Threads = 2 }, result =>
        {
            Assert.True(result.Scanned, $"{result.Path}: {result.Error}");
            foreach (var hit in result.Hits)
            {
                actual.Add($"{hit.Namespace}:{hit.Rule} {result.Path}");
            }
        }, TestContext.Current.CancellationToken);

        Assert.Contains(expected, p => p.Contains(":Linux_Exploit_CVE_2021_4034_1c8f235d ", StringComparison.Ordinal) && p.EndsWith("/planted/pwnkit", StringComparison.Ordinal));
        Assert.Contains(expected, p => p.Contains(":rootkit ", StringComparison.Ordinal) && p.EndsWith("/planted/syscalls.txt", StringComparison.Ordinal));
        Assert.Equal(expected.Order(StringComparer.Ordinal), actual.Order(StringComparer.Ordinal));
    }

    /// <summary>About 60 programs from /usr/bin (regular files under 4 MB, by name), planted files, a link and a FIFO.</summary>
    private static void BuildTree(string root)
    {
        var bin = Path.Combine(root, "bin");
        Directory.CreateDirectory(bin);
        foreach (var file in new DirectoryInfo("/usr/bin").EnumerateFiles().Where(f => f.LinkTarget is null && f.Length < (4 << 20)).OrderBy(f => f.Name, StringComparer.Ordinal).Take(60))
        {
            file.CopyTo(Path.Combine(bin, file.Name));
        }
        var planted = Path.Combine(root, "planted");
        Directory.CreateDirectory(planted);
        // Elastic's Linux_Exploit_CVE_2021_4034 (pwnkit): "PATH=GCONV_PATH=" and "pkexec".
        File.WriteAllBytes(Path.Combine(planted, "pwnkit"), [0x7F, .. "ELF"u8, .. new byte[100], .. "PATH=GCONV_PATH=."u8, 0, .. "pkexec"u8, 0]);
        // Yara-Rules' rootkit: 9 of its syscall names, ASCII or wide, any case.
        File.WriteAllText(Path.Combine(planted, "syscalls.txt"), "SYS_WRITE sys_getdents sys_kill sys_tgkill sys_tkill sys_uname sys_unlink sys_rename");
        File.AppendAllText(Path.Combine(planted, "syscalls.txt"), "sys_read", Encoding.Unicode);
        File.CreateSymbolicLink(Path.Combine(planted, "link"), Path.Combine(planted, "pwnkit"));
        File.WriteAllText(Path.Combine(planted, "clean.txt"), "nothing to see");
    }
}
