using Osprey.Detection.Yara;
using Osprey.Testing.Paths;
using Osprey.Testing.Processes;
using Xunit;

namespace Osprey.Detection.Tests.Yara;

public sealed class YaraTreeScanTests
{
    private const string Rule = "rule marker { strings: $m = \"OSPREY-TREE-MARKER\" condition: $m }";

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Run_Tree_FindsPlantedFilesAndNeverLeavesTheTree(int threads)
    {
        using var tree = new TempDirectory("osprey-yara-tree");
        using var outside = new TempDirectory("osprey-yara-outside");
        File.WriteAllText(Path.Combine(outside.Path, "secret"), "OSPREY-TREE-MARKER");
        Directory.CreateDirectory(Path.Combine(tree.Path, "a", "b"));
        Directory.CreateDirectory(Path.Combine(tree.Path, "skip"));
        File.WriteAllText(Path.Combine(tree.Path, "top"), "x OSPREY-TREE-MARKER");
        File.WriteAllText(Path.Combine(tree.Path, "a", "b", "deep"), "OSPREY-TREE-MARKER");
        File.WriteAllText(Path.Combine(tree.Path, "a", "clean"), "nothing");
        File.WriteAllText(Path.Combine(tree.Path, "skip", "excluded"), "OSPREY-TREE-MARKER");
        File.WriteAllText(Path.Combine(tree.Path, "big"), "OSPREY-TREE-MARKER" + new string('.', 5000));
        File.CreateSymbolicLink(Path.Combine(tree.Path, "link-to-file"), Path.Combine(outside.Path, "secret"));
        Directory.CreateSymbolicLink(Path.Combine(tree.Path, "link-to-dir"), outside.Path);
        Assert.Equal(0, (await CommandRunner.RunAsync("mkfifo", [Path.Combine(tree.Path, "fifo")], cancellationToken: TestContext.Current.CancellationToken)).ExitCode);
        using var rules = YaraCompiler.Build([new YaraSource("tree.yar", Rule)]);
        var results = new List<YaraFileResult>();

        var summary = YaraTreeScan.Run(rules, new YaraTreeOptions
        {
            Paths = [tree.Path],
            Exclude = [Path.Combine(tree.Path, "skip")],
            MaxFileSize = 1000,
            Threads = threads,
        }, results.Add, TestContext.Current.CancellationToken);

        Assert.Equal(
            ["a/b/deep", "top"],
            results.Where(r => r.Hits.Count > 0).Select(r => Path.GetRelativePath(tree.Path, r.Path)).Order(StringComparer.Ordinal));
        var big = Assert.Single(results, r => !r.Scanned);
        Assert.Equal((Path.Combine(tree.Path, "big"), 27), (big.Path, big.ErrorCode));
        Assert.Equal(3, summary.FilesScanned);
        Assert.Equal(2, summary.FilesMatched);
    }

    [Fact]
    public void Run_NotRecursive_ScansOnlyTheDirectorysOwnFiles()
    {
        using var tree = new TempDirectory("osprey-yara-tree");
        Directory.CreateDirectory(Path.Combine(tree.Path, "sub"));
        File.WriteAllText(Path.Combine(tree.Path, "top"), "OSPREY-TREE-MARKER");
        File.WriteAllText(Path.Combine(tree.Path, "sub", "deep"), "OSPREY-TREE-MARKER");
        using var rules = YaraCompiler.Build([new YaraSource("tree.yar", Rule)]);
        var results = new List<YaraFileResult>();

        YaraTreeScan.Run(rules, new YaraTreeOptions { Paths = [tree.Path], Recursive = false }, results.Add, TestContext.Current.CancellationToken);

        Assert.Equal([Path.Combine(tree.Path, "top")], results.Select(r => r.Path));
    }

    [Fact]
    public void Run_MissingPath_IsReportedAsAnError()
    {
        using var rules = YaraCompiler.Build([new YaraSource("tree.yar", Rule)]);
        var results = new List<YaraFileResult>();

        YaraTreeScan.Run(rules, new YaraTreeOptions { Paths = ["/nonexistent/osprey"] }, results.Add, TestContext.Current.CancellationToken);

        Assert.Equal(2, Assert.Single(results).ErrorCode);
    }

    [Fact]
    public void Run_Cancelled_Throws()
    {
        using var rules = YaraCompiler.Build([new YaraSource("tree.yar", Rule)]);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => YaraTreeScan.Run(rules, new YaraTreeOptions { Paths = ["/usr/bin"], Threads = 2 }, _ => { }, cancel.Token));
    }
}
