using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Osprey.Agent.Sensors.Hashing;
using Osprey.Agent.Sensors.Processes;
using Osprey.Agent.Tasks;
using Osprey.Agent.Tasks.IocScan;
using Osprey.Contracts.V1;
using Osprey.Testing.Paths;
using Xunit;

namespace Osprey.Agent.Tests.Tasks.IocScan;

/// <summary>The scanner on this machine's real files and processes: walk bounds, hashes, bad IOC files.</summary>
public sealed class IocScannerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static IocScanner Scanner()
    {
        var users = new UserDirectory();
        var hasher = new FileHasher(64L * 1024 * 1024);
        return new IocScanner(new ProcessTable(ProcessIdentity.ForThisBoot("test-agent"), hasher, users, []), hasher, users);
    }

    private static IocFile File11(string name, string items, string op = "OR") => new()
    {
        Name = name,
        Content = ByteString.CopyFromUtf8($"""<OpenIOC xmlns="http://openioc.org/schemas/OpenIOC_1.1" id="{name}"><criteria><Indicator operator="{op}" id="top">{items}</Indicator></criteria></OpenIOC>"""),
    };

    private static string Item(string id, string condition, string search, string content, string type = "string") =>
        $"""<IndicatorItem id="{id}" condition="{condition}"><Context document="{search.Split('/')[0]}" search="{search}"/><Content type="{type}">{content}</Content></IndicatorItem>""";

    [Fact]
    public void Files_ByEveryHash_WithinTheRoots_DepthAndSymlinksRespected()
    {
        using var dir = new TempDirectory("osprey-iocscan");
        var content = Encoding.UTF8.GetBytes("scanner test " + Guid.NewGuid());
        var shallow = Path.Combine(dir.Path, "a", "target.bin");
        var deep = Path.Combine(dir.Path, "a", "b", "c", "d", "target.bin");
        Directory.CreateDirectory(Path.GetDirectoryName(deep)!);
        File.WriteAllBytes(shallow, content);
        File.WriteAllBytes(deep, content);
        File.CreateSymbolicLink(Path.Combine(dir.Path, "link.bin"), shallow);
        Directory.CreateSymbolicLink(Path.Combine(dir.Path, "loop"), dir.Path);
        var p = new IocScanParams { MaxDepth = 2 };
        p.FileRoots.Add(dir.Path);
        p.IocFiles.Add(File11("hashes.ioc",
            Item("md5", "is", "FileItem/Md5sum", Convert.ToHexStringLower(MD5.HashData(content)), "md5") +
            Item("sha1", "is", "FileItem/Sha1sum", Convert.ToHexStringLower(SHA1.HashData(content)), "sha1") +
            Item("sha256", "is", "FileItem/Sha256sum", Convert.ToHexStringLower(SHA256.HashData(content)), "sha256")));

        var result = Scanner().Scan(p, (name, _, message) => Assert.Fail($"{name}: {message}"), Ct);

        var indicator = Assert.Single(result.Indicators);
        Assert.True(indicator.Detected);
        Assert.Equal(["top", "md5", "sha1", "sha256"], indicator.MatchedBranch);
        // The deep copy is below max_depth, the symbolic links are not followed.
        var file = Assert.Single(indicator.Objects).File;
        Assert.Equal(shallow, file.FullPath);
        Assert.Equal(content.Length, file.Size);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), file.Sha256);
    }

    [Fact]
    public void Walk_StopsAtMaxFiles_AndSaysSo()
    {
        using var dir = new TempDirectory("osprey-iocscan");
        for (var i = 0; i < 30; i++)
        {
            File.WriteAllText(Path.Combine(dir.Path, $"f{i:00}.txt"), "x");
        }
        var p = new IocScanParams { MaxFiles = 10 };
        p.FileRoots.Add(dir.Path);
        p.IocFiles.Add(File11("names.ioc", Item("txt", "ends-with", "FileItem/FileName", ".txt")));

        var result = Scanner().Scan(p, (_, _, _) => { }, Ct);

        Assert.Equal(10UL, result.FilesExamined);
        Assert.Equal(10, result.Indicators[0].Objects.Count);
        Assert.Contains(result.Warnings, w => w.Contains("stopped after 10 entries", StringComparison.Ordinal));
        // No hash term: only the files reported are hashed (they carry their hashes).
        Assert.Equal(10UL, result.FilesHashed);
        Assert.All(result.Indicators[0].Objects, o => Assert.Equal(32, o.File.Md5.Length));
    }

    [Fact]
    public void UnparsableFiles_AreSkippedWithTheirReason_AllUnparsable_FailsTheTask()
    {
        var p = new IocScanParams();
        p.IocFiles.Add(File11("good.ioc", Item("me", "is", "ProcessItem/pid", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), "int")));
        p.IocFiles.Add(new IocFile { Name = "bad.ioc", Content = ByteString.CopyFromUtf8("<not-ioc/>") });
        p.IocFiles.Add(new IocFile { Name = "tampered.ioc", Content = ByteString.CopyFromUtf8("<x/>"), Sha256 = new string('0', 64) });

        var result = Scanner().Scan(p, (_, _, _) => { }, Ct);

        var me = Assert.Single(result.Indicators);
        Assert.True(me.Detected);
        Assert.Equal(Environment.ProcessId, Assert.Single(me.Objects).Process.Pid);
        Assert.Contains(result.Warnings, w => w.StartsWith("bad.ioc: ", StringComparison.Ordinal) && w.Contains("not an OpenIOC document", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.Contains("tampered.ioc: the content does not match its SHA-256", StringComparison.Ordinal));

        var none = new IocScanParams();
        none.IocFiles.Add(new IocFile { Name = "bad.ioc", Content = ByteString.CopyFromUtf8("<not-ioc/>") });
        var failed = Assert.Throws<TaskFailedException>(() => Scanner().Scan(none, (_, _, _) => { }, Ct));
        Assert.Contains("none of the 1 IOC files could be used", failed.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(20_000u, 0u, "bounds too high")]
    [InlineData(0u, 65u, "bounds too high")]
    public void BoundsBeyondTheAgents_FailTheTask(uint maxObjects, uint maxDepth, string message)
    {
        var p = new IocScanParams { MaxObjectsPerIndicator = maxObjects, MaxDepth = maxDepth };
        p.IocFiles.Add(File11("a.ioc", Item("x", "is", "ProcessItem/name", "x")));
        Assert.Contains(message, Assert.Throws<TaskFailedException>(() => Scanner().Scan(p, (_, _, _) => { }, Ct)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OnlyTheItemTypesNamed_AreRead()
    {
        var p = new IocScanParams();
        p.IocFiles.Add(File11("users.ioc", Item("root", "is", "UserItem/Username", "root") + Item("host", "is", "SystemInfoItem/platform", "linux")));

        var result = Scanner().Scan(p, (_, _, _) => { }, Ct);

        Assert.Equal(0UL, result.FilesExamined);
        Assert.Equal(0u, result.ProcessesExamined);
        Assert.Equal(0u, result.PortsExamined);
        var indicator = Assert.Single(result.Indicators);
        Assert.Equal(["top", "root", "host"], indicator.MatchedBranch);
        Assert.Contains(indicator.Objects, o => o.User?.UserName == "root");
        Assert.Contains(indicator.Objects, o => o.SystemInfo is { HostName.Length: > 0 });
    }
}
