using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Osprey.Node.Configuration;
using Osprey.Node.ObjectStorage;
using Osprey.Node.Storage;
using Osprey.Testing.Paths;
using static Osprey.Node.Tests.ObjectStorage.UploadCalls;

namespace Osprey.Node.Tests.ObjectStorage;

/// <summary>What a crash can leave in Storage's files and records, and how start-up and resume put it right.</summary>
public sealed class ObjectStoreRecoveryTests : IDisposable
{
    private static readonly Uploader Agent = Uploader.Agent("agent-1");
    private readonly TempDirectory _dir = new("osprey-objects");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ObjectStoragePaths Paths => new(Path.Combine(_dir.Path, "storage"));

    [Fact]
    public async Task Start_RecordsAnObjectRenamedButNotRecorded_AndRemovesWhatHasNoCounterpart()
    {
        var store = Open();
        var kept = RandomBytes(1000, 1);
        await StoreAsync(store, kept);
        var renamed = RandomBytes(2000, 2);
        var upload = await SendAllAsync(store, renamed);
        // The crash came between the rename into place and the record of the object.
        Directory.CreateDirectory(Paths.ObjectDirectory(Sha256(renamed)));
        File.Move(Paths.Upload(upload), Paths.Object(Sha256(renamed)));
        var lost = RandomBytes(3000, 3);
        await StoreAsync(store, lost);
        File.Delete(Paths.Object(Sha256(lost)));
        var orphan = Paths.Object(new string('c', 64));
        Directory.CreateDirectory(Path.GetDirectoryName(orphan)!);
        await File.WriteAllTextAsync(orphan, "no record", Ct);
        var strayPart = Paths.Upload("0123456789abcdef0123456789abcdef");
        await File.WriteAllTextAsync(strayPart, "no upload", Ct);

        var restarted = Open();

        var stored = restarted.List(new ObjectQuery()).Select(o => o.Sha256).ToHashSet();
        Assert.Equal(new HashSet<string> { Sha256(kept), Sha256(renamed) }, stored);
        Assert.Equal(renamed.Length, restarted.Get(Sha256(renamed))!.Size);
        Assert.False(File.Exists(orphan));
        Assert.False(File.Exists(strayPart));
        Assert.Null(restarted.Get(Sha256(lost)));
        Assert.Equal(kept.Length + renamed.Length, restarted.UsedBytes());
    }

    [Fact]
    public async Task Resume_CutsAnUnrecordedTail_AndContinuesFromTheRecordedOffset()
    {
        var store = Open();
        var content = RandomBytes(3000, 4);
        var (status, _) = await store.BeginAsync(Agent, Request(content), Ct);
        using (var first = new MemoryStream(content, 0, 1000))
        {
            Assert.Null((await store.AppendAsync(Agent, status!.UploadId!, 0, System.Security.Cryptography.SHA256.HashData(content.AsSpan(0, 1000)), first, 1000, Ct)).Problem);
        }
        // A chunk written but never recorded (the node died before the record): its bytes must not count.
        await File.AppendAllTextAsync(Paths.Upload(status.UploadId!), "half a chunk", Ct);

        var resumed = await Open().BeginAsync(Agent, Request(content), Ct);

        Assert.Equal(1000, resumed.Status!.Offset);
        Assert.Equal(1000, new FileInfo(Paths.Upload(status.UploadId!)).Length);
    }

    private ObjectStore Open()
    {
        var nodeDb = Path.Combine(_dir.Path, "node.db");
        var node = new SqliteNodeStore(nodeDb);
        node.Initialize();
        var options = Options.Create(new NodeOptions { Listen = "127.0.0.1:1" });
        var store = new ObjectStore(new SqliteObjectIndex(nodeDb), node, Paths, options, TimeProvider.System, NullLogger<ObjectStore>.Instance);
        store.Initialize();
        return store;
    }

    private static UploadRequest Request(byte[] content) => new(Sha256(content), content.Length, "x", null, null);

    private static async Task<string> SendAllAsync(ObjectStore store, byte[] content)
    {
        var (status, problem) = await store.BeginAsync(Agent, Request(content), Ct);
        Assert.Null(problem);
        using var body = new MemoryStream(content);
        var (offset, refused) = await store.AppendAsync(Agent, status!.UploadId!, 0, System.Security.Cryptography.SHA256.HashData(content), body, content.Length, Ct);
        Assert.Null(refused);
        Assert.Equal(content.Length, offset);
        return status.UploadId!;
    }

    private static async Task StoreAsync(ObjectStore store, byte[] content)
    {
        var upload = await SendAllAsync(store, content);
        var (status, problem) = await store.CompleteAsync(Agent, upload, Ct);
        Assert.Null(problem);
        Assert.True(status!.Complete);
    }

    public void Dispose() => _dir.Dispose();
}
