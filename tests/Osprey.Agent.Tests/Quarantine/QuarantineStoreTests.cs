using System.Globalization;
using System.Security.Cryptography;
using Osprey.Agent.Interop;
using Osprey.Agent.Quarantine;
using Osprey.Contracts.V1;
using Osprey.Testing.Paths;
using Osprey.Testing.Processes;

namespace Osprey.Agent.Tests.Quarantine;

/// <summary>The encrypted quarantine store on a real filesystem: round trip, tampering, truncation and crash recovery.</summary>
public sealed class QuarantineStoreTests : IDisposable
{
    private const int Chunk = 4096;
    private static readonly byte[] Marker = "OSPREY-QUARANTINE-PLAINTEXT-MARKER"u8.ToArray();
    private readonly TempDirectory _dir = new("osprey-quarantine-test");
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);

    private string StoreDirectory => Path.Combine(_dir.Path, "store");

    private QuarantineStore Store(Action<string>? afterCommit = null) => new(StoreDirectory, _key, Chunk) { AfterCommit = afterCommit };

    [Fact]
    public void Add_MovesTheFileIntoAnEncryptedEntry_AndRestoreGivesBackBytesOwnerModeAndTimes()
    {
        RootCheck.Require();
        var original = Path.Combine(_dir.Path, "sample.bin");
        var content = Content(3 * Chunk + 123);
        File.WriteAllBytes(original, content);
        Chown(original, 4242, 4343);
        File.SetUnixFileMode(original, (UnixFileMode)Convert.ToInt32("4750", 8));
        var mtime = new DateTime(2021, 3, 4, 5, 6, 7, DateTimeKind.Utc).AddTicks(1234560);
        File.SetLastWriteTimeUtc(original, mtime);
        File.SetLastAccessTimeUtc(original, mtime.AddDays(1));
        var before = Libc.Stat(original, followLinks: false, out _)!;
        var store = Store();

        var entry = store.Add(Request(original), TestContext.Current.CancellationToken);

        Assert.False(File.Exists(original), "the original is still there");
        Assert.True(entry.OriginalDeleted);
        Assert.Equal(content.Length, entry.Size);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), entry.Sha256);
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(content)), entry.Md5);
        Assert.Equal("4242", entry.Metadata.Owner.Id);
        Assert.Equal("4343", entry.Metadata.OwnerGroup.Id);
        Assert.Equal(Convert.ToUInt32("4750", 8), entry.Metadata.Mode);
        Assert.Equal(before.ModifyUs, entry.ModifiedUs);
        var stored = File.ReadAllBytes(store.PathOf(entry.QuarantineId));
        Assert.Equal(-1, stored.AsSpan().IndexOf(Marker));
        Assert.Equal("600", Convert.ToString((int)File.GetUnixFileMode(store.PathOf(entry.QuarantineId)), 8));
        Assert.Equal("700", Convert.ToString((int)File.GetUnixFileMode(StoreDirectory), 8));
        using (var opened = store.Open(entry.QuarantineId))
        {
            Assert.Equal(entry, opened.Entry);
            using var stream = opened.OpenContent();
            using var copy = new MemoryStream();
            stream.Position = Chunk + 7;
            stream.CopyTo(copy);
            Assert.Equal(content.AsSpan(Chunk + 7).ToArray(), copy.ToArray());
        }

        var restored = store.Restore(entry.QuarantineId, null, overwrite: false, TestContext.Current.CancellationToken);

        Assert.Equal(original, restored.Path);
        var after = Libc.Stat(original, followLinks: false, out _)!; // before reading it: a read may move the access time
        Assert.Equal(content, File.ReadAllBytes(original));
        Assert.Equal((4242u, 4343u, before.Mode, before.ModifyUs, before.AccessUs), (after.Uid, after.Gid, after.Mode, after.ModifyUs, after.AccessUs));
        Assert.False(File.Exists(store.PathOf(entry.QuarantineId)), "the entry is still in the store after its restore");
        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir.Path, QuarantineStore.RestorePrefix + "*"));
    }

    [Fact]
    public void Restore_RefusesToReplaceAnExistingFile_UnlessAskedTo()
    {
        var original = Path.Combine(_dir.Path, "doc.txt");
        File.WriteAllBytes(original, Content(100));
        var store = Store();
        var entry = store.Add(Request(original), TestContext.Current.CancellationToken);
        File.WriteAllText(original, "a new file with the same name");

        var refused = Assert.Throws<QuarantineException>(() => store.Restore(entry.QuarantineId, null, overwrite: false, TestContext.Current.CancellationToken));

        Assert.Equal(17, refused.Code);
        Assert.Contains("exists; restore with overwrite", refused.Message, StringComparison.Ordinal);
        Assert.Equal("a new file with the same name", File.ReadAllText(original));
        Assert.True(File.Exists(store.PathOf(entry.QuarantineId)));
        store.Restore(entry.QuarantineId, null, overwrite: true, TestContext.Current.CancellationToken);
        Assert.Equal(Content(100), File.ReadAllBytes(original));
    }

    [Fact]
    public void TamperedCiphertext_IsRefused_AndNothingIsRestored()
    {
        var original = Path.Combine(_dir.Path, "evil.bin");
        File.WriteAllBytes(original, Content(2 * Chunk + 10));
        var store = Store();
        var entry = store.Add(Request(original), TestContext.Current.CancellationToken);
        var path = store.PathOf(entry.QuarantineId);
        var bytes = File.ReadAllBytes(path);
        bytes[QuarantineFormat.HeaderBytes + QuarantineFormat.SegmentBytes(Chunk) + QuarantineFormat.SegmentPrefixBytes + 100] ^= 0x01; // chunk 1
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<QuarantineCorruptException>(() => store.Restore(entry.QuarantineId, null, false, TestContext.Current.CancellationToken));

        Assert.Contains("chunk 1 does not authenticate", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(original), "a tampered entry was restored");
        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir.Path, QuarantineStore.RestorePrefix + "*"));
        Assert.True(File.Exists(path), "the damaged entry should stay for the operator to see and delete");
        Assert.Equal(original, store.Delete(entry.QuarantineId)?.OriginalPath);
        Assert.False(File.Exists(path));
    }

    [Theory]
    [InlineData("header")]
    [InlineData("metadata")]
    [InlineData("other key")]
    [InlineData("other entry")]
    public void ChangedHeaderMetadataKeyOrName_DoesNotOpen(string change)
    {
        var original = Path.Combine(_dir.Path, "a.bin");
        File.WriteAllBytes(original, Content(Chunk + 1));
        var store = Store();
        var entry = store.Add(Request(original), TestContext.Current.CancellationToken);
        var path = store.PathOf(entry.QuarantineId);
        var bytes = File.ReadAllBytes(path);
        var opener = store;
        var id = entry.QuarantineId;
        switch (change)
        {
            case "header":
                bytes[40] ^= 0x80; // the salt: every segment's associated data and key change
                break;
            case "metadata":
                // The trailer locates the metadata segment (the attribute list follows it).
                bytes[BitConverter.ToInt64(bytes.AsSpan(bytes.Length - QuarantineFormat.TrailerBytes)) + QuarantineFormat.SegmentPrefixBytes + 3] ^= 0x01;
                break;
            case "other key":
                opener = new QuarantineStore(StoreDirectory, RandomNumberGenerator.GetBytes(32), Chunk);
                break;
            case "other entry":
                id = QuarantineStore.NewId();
                File.Move(path, store.PathOf(id));
                path = store.PathOf(id);
                break;
        }
        File.WriteAllBytes(path, bytes);

        Assert.Throws<QuarantineCorruptException>(() => opener.Open(id).Dispose());
    }

    [Fact]
    public void TruncatedEntry_IsRefused_AtEveryLength()
    {
        var original = Path.Combine(_dir.Path, "t.bin");
        File.WriteAllBytes(original, Content(2 * Chunk + 5));
        var store = Store();
        var entry = store.Add(Request(original), TestContext.Current.CancellationToken);
        var path = store.PathOf(entry.QuarantineId);
        var whole = File.ReadAllBytes(path);
        var fullSegment = (int)QuarantineFormat.SegmentBytes(Chunk);
        int[] lengths = [0, 10, QuarantineFormat.HeaderBytes, QuarantineFormat.HeaderBytes + fullSegment, whole.Length / 2, whole.Length - QuarantineFormat.TrailerBytes, whole.Length - 1];
        foreach (var length in lengths)
        {
            File.WriteAllBytes(path, whole[..length]);
            var error = Assert.Throws<QuarantineCorruptException>(() => store.Open(entry.QuarantineId).Dispose());
            Assert.Contains("damaged", error.Message, StringComparison.Ordinal);
        }

        // A chunk cut out and the trailer moved to match: the metadata was sealed for three chunks, not two.
        var spliced = whole[..(QuarantineFormat.HeaderBytes + fullSegment)].Concat(whole[(QuarantineFormat.HeaderBytes + 2 * fullSegment)..^QuarantineFormat.TrailerBytes]).ToArray();
        var trailer = new byte[QuarantineFormat.TrailerBytes];
        BitConverter.TryWriteBytes(trailer, QuarantineFormat.HeaderBytes + fullSegment + QuarantineFormat.SegmentBytes(5));
        QuarantineFormat.TrailerMagic.CopyTo(trailer.AsSpan(8));
        File.WriteAllBytes(path, [.. spliced, .. trailer]);
        Assert.Throws<QuarantineCorruptException>(() => store.Open(entry.QuarantineId).Dispose());
    }

    [Fact]
    public void CrashBetweenCopyAndDelete_RecoveryUndoesTheMove_AndKeepsTheOriginal()
    {
        var original = Path.Combine(_dir.Path, "crash.bin");
        var content = Content(Chunk * 2);
        File.WriteAllBytes(original, content);
        var crashing = Store(afterCommit: _ => throw new InvalidOperationException("simulated crash after the copy is durable"));

        Assert.Throws<InvalidOperationException>(() => crashing.Add(Request(original), TestContext.Current.CancellationToken));
        Assert.True(File.Exists(original));
        Assert.Single(crashing.Ids());
        File.WriteAllBytes(Path.Combine(StoreDirectory, QuarantineStore.NewId() + QuarantineFormat.TemporarySuffix), Content(10)); // a copy cut short

        var recovery = Store().Recover();

        Assert.Equal((1, 1), (recovery.TemporariesRemoved, recovery.AddsRolledBack));
        Assert.Empty(recovery.Damaged);
        Assert.Empty(Directory.EnumerateFileSystemEntries(StoreDirectory));
        Assert.Equal(content, File.ReadAllBytes(original));
    }

    [Fact]
    public void Recovery_KeepsFinishedMovesAndCopies()
    {
        var moved = Path.Combine(_dir.Path, "moved.bin");
        var copied = Path.Combine(_dir.Path, "copied.bin");
        File.WriteAllBytes(moved, Content(10));
        File.WriteAllBytes(copied, Content(20));
        var store = Store();
        store.Add(Request(moved), TestContext.Current.CancellationToken);
        store.Add(Request(copied) with { KeepOriginal = true }, TestContext.Current.CancellationToken);
        // A new file where the moved one was is not the original coming back.
        File.WriteAllBytes(moved, Content(10));

        var recovery = Store().Recover();

        Assert.Equal(0, recovery.AddsRolledBack);
        Assert.Equal(2, store.Ids().Count);
        Assert.True(File.Exists(copied));
    }

    [Fact]
    public void HashMismatch_DirectoriesAndLinks_QuarantineNothing()
    {
        var original = Path.Combine(_dir.Path, "h.bin");
        File.WriteAllBytes(original, Content(50));
        var link = Path.Combine(_dir.Path, "link");
        File.CreateSymbolicLink(link, original);
        var store = Store();

        var mismatch = Assert.Throws<QuarantineException>(() => store.Add(Request(original) with { Sha256 = new string('0', 64) }, TestContext.Current.CancellationToken));
        var directory = Assert.Throws<QuarantineException>(() => store.Add(Request(_dir.Path), TestContext.Current.CancellationToken));
        var symlink = Assert.Throws<QuarantineException>(() => store.Add(Request(link), TestContext.Current.CancellationToken));
        var missing = Assert.Throws<QuarantineException>(() => store.Add(Request(original + ".gone"), TestContext.Current.CancellationToken));

        Assert.Equal(QuarantineException.HashMismatch, mismatch.Code);
        Assert.Equal(21, directory.Code);
        Assert.Equal(40, symlink.Code);
        Assert.Equal(2, missing.Code);
        Assert.Empty(Directory.EnumerateFileSystemEntries(StoreDirectory));
        Assert.Equal(Content(50), File.ReadAllBytes(original));
    }

    [Theory]
    [InlineData("../../../etc/passwd")]
    [InlineData("0123456789ABCDEF0123456789abcdef")]
    [InlineData("")]
    public void HostileIds_AreRefused(string id)
    {
        var error = Assert.Throws<QuarantineException>(() => Store().Open(id));
        Assert.Equal(22, error.Code);
    }

    [Fact]
    public void EmptyFile_RoundTrips()
    {
        var original = Path.Combine(_dir.Path, "empty");
        File.WriteAllBytes(original, []);
        var store = Store();
        var entry = store.Add(Request(original), TestContext.Current.CancellationToken);
        store.Restore(entry.QuarantineId, null, false, TestContext.Current.CancellationToken);
        Assert.Empty(File.ReadAllBytes(original));
    }

    /// <summary>A quarantine request for <paramref name="path"/> with its owner, group and mode as the metadata.</summary>
    internal static QuarantineStore.AddRequest Request(string path) => new()
    {
        Path = path,
        Template = new QuarantineEntry { AgentId = "agent-1", TaskId = "task-1", QuarantinedUs = 1 },
        Describe = (status, _) => new FileMetadata
        {
            Owner = new UserRef { Id = status.Uid.ToString(CultureInfo.InvariantCulture) },
            OwnerGroup = new GroupRef { Id = status.Gid.ToString(CultureInfo.InvariantCulture) },
            Mode = status.Mode & 0xFFF,
        },
    };

    private static byte[] Content(int length)
    {
        var content = new byte[length];
        for (var i = 0; i < length; i++)
        {
            content[i] = Marker[i % Marker.Length];
        }
        return content;
    }

    private static void Chown(string path, int uid, int gid)
    {
        var result = CommandRunner.RunAsync("chown", [$"{uid}:{gid}", path], cancellationToken: TestContext.Current.CancellationToken).GetAwaiter().GetResult();
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    public void Dispose() => _dir.Dispose();
}
