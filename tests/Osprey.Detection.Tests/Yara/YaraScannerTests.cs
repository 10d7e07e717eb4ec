using System.Diagnostics;
using System.Text;
using Osprey.Detection.Yara;
using Xunit;
using Osprey.Testing.Paths;
using Osprey.Testing.Processes;

namespace Osprey.Detection.Tests.Yara;

public sealed class YaraScannerTests
{
    private const string Rules = """
        rule marker : tag_one tag_two
        {
            strings:
                $text = "OSPREY-MARKER"
                $hex = { DE AD BE EF }
                $re = /id=[0-9]{4}/
            condition:
                any of them
        }

        rule never { condition: false }
        """;

    // Reads the matches through the 4.2.3 struct offsets of YaraLayout: a wrong offset gives wrong identifiers, offsets, lengths or bytes here.
    [Fact]
    public void ScanMemory_KnownStrings_ReportsIdentifierOffsetLengthAndBytes()
    {
        using var rules = YaraCompiler.Build([new YaraSource("layout.yar", Rules)]);
        using var scanner = rules.CreateScanner();
        var data = new byte[4096];
        Encoding.ASCII.GetBytes("OSPREY-MARKER").CopyTo(data, 100);
        Encoding.ASCII.GetBytes("OSPREY-MARKER").CopyTo(data, 3000);
        new byte[] { 0xDE, 0xAD, 0xBE, 0xEF }.CopyTo(data, 2049);
        Encoding.ASCII.GetBytes("id=1234").CopyTo(data, 4000);

        var outcome = scanner.ScanMemory(data);

        Assert.True(outcome.Succeeded);
        var hit = Assert.Single(outcome.Hits);
        Assert.Equal(("layout.yar", "marker"), (hit.Namespace, hit.Rule));
        Assert.Equal(["tag_one", "tag_two"], hit.Tags);
        Assert.Equal(
            [("$text", 100UL, 13, "OSPREY-MARKER"), ("$text", 3000UL, 13, "OSPREY-MARKER"), ("$hex", 2049UL, 4, "\xDE\xAD\xBE\xEF"), ("$re", 4000UL, 7, "id=1234")],
            hit.Strings.Select(s => (s.Identifier, s.Offset, s.Length, Encoding.Latin1.GetString(s.Data))));
        Assert.False(hit.StringsTruncated);
    }

    [Fact]
    public void ScanMemory_ScannerReused_ReportsOnlyTheCurrentObject()
    {
        using var rules = YaraCompiler.Build([new YaraSource("layout.yar", Rules)]);
        using var scanner = rules.CreateScanner();

        Assert.Single(scanner.ScanMemory(Encoding.ASCII.GetBytes("..OSPREY-MARKER..")).Hits);
        Assert.Empty(scanner.ScanMemory(Encoding.ASCII.GetBytes("nothing here")).Hits);
    }

    [Fact]
    public void ScanMemory_LongMatchAndManyMatches_AreBounded()
    {
        using var rules = YaraCompiler.Build([new YaraSource("long.yar", "rule long { strings: $a = /A{100,}/ $b = \"BB\" condition: any of them }")]);
        using var scanner = rules.CreateScanner(new YaraScanSettings { MaxStringMatches = 10, MaxDataBytes = 64 });
        var data = Encoding.ASCII.GetBytes(new string('A', 200) + "-" + string.Concat(Enumerable.Repeat("BB-", 50)));

        var hit = Assert.Single(scanner.ScanMemory(data).Hits);

        Assert.Equal(10, hit.Strings.Count);
        Assert.True(hit.StringsTruncated);
        var first = hit.Strings[0];
        Assert.Equal(("$a", 0UL), (first.Identifier, first.Offset));
        Assert.True(first.Length >= 100);
        Assert.Equal(64, first.Data.Length);
    }

    [Fact]
    public void ScanMemory_SlowRule_TimesOutWithinTheLimit()
    {
        const string slow = "rule slow { condition: for all i in (0..filesize - 1) : (for all j in (0..1000) : (uint8(i) + j >= 0)) }";
        using var rules = YaraCompiler.Build([new YaraSource("slow.yar", slow)]);
        using var scanner = rules.CreateScanner(new YaraScanSettings { TimeoutSeconds = 1 });
        var watch = Stopwatch.StartNew();

        var outcome = scanner.ScanMemory(new byte[16 << 20]);

        Assert.Equal(YaraErrors.ScanTimeout, outcome.Error);
        Assert.Empty(outcome.Hits);
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void ScanFile_ExternalVariables_TakeTheFilesValues()
    {
        using var dir = new TempDirectory("osprey-yara");
        var path = Path.Combine(dir.Path, "Dropper.SH");
        File.WriteAllText(path, "#!/bin/sh\necho hi\n");
        using var rules = YaraCompiler.Build([new YaraSource("ext.yar", $$"""
            rule by_name { condition: filename == "Dropper.SH" and extension == ".sh" }
            rule by_path { condition: filepath == "{{path}}" }
            rule by_type { condition: filetype == "SCRIPT" }
            rule by_owner { condition: owner == "{{Environment.UserName}}" }
            rule not_elf { condition: filetype == "ELF" }
            """)]);
        using var scanner = rules.CreateScanner();

        var outcome = scanner.ScanFile(path);

        Assert.True(outcome.Succeeded);
        Assert.Equal(["by_name", "by_path", "by_type", "by_owner"], outcome.Hits.Select(h => h.Rule));
    }

    [Fact]
    public void ScanFile_SymbolicLink_IsNotFollowed()
    {
        using var dir = new TempDirectory("osprey-yara");
        var target = Path.Combine(dir.Path, "target");
        File.WriteAllText(target, "OSPREY-MARKER");
        var link = Path.Combine(dir.Path, "link");
        File.CreateSymbolicLink(link, target);
        using var rules = YaraCompiler.Build([new YaraSource("layout.yar", Rules)]);
        using var scanner = rules.CreateScanner();

        Assert.Single(scanner.ScanFile(target).Hits);
        Assert.Equal(YaraErrors.CouldNotOpenFile, scanner.ScanFile(link).Error);
    }

    [Fact]
    public async Task ScanProcess_MarkerInAChildsMemory_IsFoundAtItsAddress()
    {
        RootCheck.Require();
        var marker = "OSPREY-PROC-" + Guid.NewGuid().ToString("N");
        using var child = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", $"sleep 30; echo {marker}"]) { RedirectStandardOutput = true })!;
        try
        {
            await Task.Delay(300, TestContext.Current.CancellationToken);
            using var rules = YaraCompiler.Build([new YaraSource("proc.yar", $"rule in_memory {{ strings: $m = \"{marker}\" condition: $m }}")]);
            using var scanner = rules.CreateScanner();

            var outcome = scanner.ScanProcess(child.Id);

            Assert.True(outcome.Succeeded, outcome.ErrorMessage);
            var hit = Assert.Single(outcome.Hits);
            var first = hit.Strings[0];
            Assert.Equal(marker, Encoding.ASCII.GetString(first.Data));
            // A virtual address inside one of the child's mappings.
            Assert.Contains(File.ReadLines($"/proc/{child.Id}/maps"), line =>
            {
                var range = line.Split(' ')[0].Split('-');
                return first.Offset >= Convert.ToUInt64(range[0], 16) && first.Offset < Convert.ToUInt64(range[1], 16);
            });
            Assert.False(child.HasExited);
        }
        finally
        {
            child.Kill();
        }
    }

    [Fact]
    public void ScanProcess_NoSuchProcess_IsAnError()
    {
        using var rules = YaraCompiler.Build([new YaraSource("layout.yar", Rules)]);
        using var scanner = rules.CreateScanner();

        Assert.Equal(YaraErrors.CouldNotAttachToProcess, scanner.ScanProcess(int.MaxValue - 1).Error);
    }
}
