using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Osprey.Agent.Interop;
using Osprey.Agent.Quarantine;
using Osprey.Agent.Tasks;
using Osprey.Contracts.V1;
using Osprey.Testing.Paths;
using Osprey.Testing.Processes;

namespace Osprey.Agent.Tests.Quarantine;

/// <summary>
/// Extended attributes through quarantine and restore on a tmpfs the test mounts (user.*, trusted.*, security.* and
/// POSIX ACLs; written raw here, so no attr, acl or libcap package is needed), compared byte for byte with what the
/// kernel returns; entries of format version 1 still open and restore.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class QuarantineAttributesTests
{
    private const int Chunk = 4096;
    private const string Secret = "https://downloads.example.invalid/the-origin-of-this-tool";

    /// <summary>An entry written by format version 1 (before extended attributes were kept), with <see cref="GoldenKey"/>.</summary>
    private const string GoldenV1Id = "6d93eb9c5ad78caebd76516df0ad5a1d";

    private const string GoldenV1 =
        "T1NQUkVZUQABAAAAABAAAG2T65xa14yuvXZRbfCtWh0TIv5LNLqs9dAbzC/MLsv8t/IC7oZeF0RMzbzHQmCJMQEgAAAAZTPJ/Vs77D31dVl3Wod3IP1wseVJ"
        + "vQGpVzCpFlHXIdCokhev6lRxLDTkmkR+8z3AAgoBAADu3u+BlwfaJkTpkGqxe+ceSN2dkojMTipTLB3/+ruB144eUev0rY1DZptat6HGnNM5AvZIAOeZ6PGj"
        + "GmURlFs0LY3Jpa6kJw1MMh3q/DqSnqWb5MIlz6bNTabqwRHbh1oDSEosuPuyQ95iEyzwXNkodnsH3ELnnseR3hy9WSRRZij0b8EKLVLFKb2s13Gwz+RthRSx"
        + "UNWKniCXIP+jsfhMvKCii7VltHtSSIdAda/gx1RplRCUAhPkjmvtL+XgGrzeVjcNvBLQ048+DAOwFMjc9CFjDsQ+1lcs8LPmtgEitCFrv4YPaibLM4cCSJHJ"
        + "30yZ6oEQUIbGb0ceD5yFog7Qso80tWHnkHCB+XKTLecLKuzuS11Tvis9ti51AAAAAAAAAE9TUFFFTkQx";

    private static readonly byte[] GoldenKey = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];

    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Restore_PutsBackUserTrustedCapabilityAndAclAttributes_AfterOwnerAndMode()
    {
        await using var mount = await TmpfsMount.CreateAsync("osprey-quarantine-xattr-");
        var original = Path.Combine(mount.Path, "tool");
        await File.WriteAllBytesAsync(original, RandomNumberGenerator.GetBytes(3 * Chunk + 5), Ct);
        await ChownAsync(original, 4242, 4343);
        File.SetUnixFileMode(original, (UnixFileMode)Convert.ToInt32("750", 8));
        SetAttributes(original,
            ("user.origin", Encoding.UTF8.GetBytes(Secret)),
            ("trusted.osprey-test", [0, 1, 2, 255]),
            // Set after chown, as a restore must: chown clears it.
            ("security.capability", Capability(13)), // CAP_NET_RAW, permitted and effective
            ("system.posix_acl_access", Acl((0x01, 7, uint.MaxValue), (0x02, 5, 1000), (0x04, 5, uint.MaxValue), (0x10, 5, uint.MaxValue), (0x20, 0, uint.MaxValue))));
        var before = Attributes(original);
        Assert.Equal(4, before.Count);
        var status = Libc.Stat(original, followLinks: false, out _)!;
        var store = new QuarantineStore(Path.Combine(mount.Path, "store"), _key, Chunk);

        var entry = store.Add(Request(original), Ct);

        Assert.Empty(entry.ExtendedAttributesDropped);
        Assert.False(File.Exists(original));
        // Sealed like the content: the value is nowhere in the entry file in plain text.
        Assert.Equal(-1, (await File.ReadAllBytesAsync(store.PathOf(entry.QuarantineId), Ct)).AsSpan().IndexOf(Encoding.UTF8.GetBytes(Secret)));
        using (var opened = store.Open(entry.QuarantineId))
        {
            Assert.Equal(before.Keys.Order(StringComparer.Ordinal), opened.Attributes.Attributes.Select(a => a.Name).Order(StringComparer.Ordinal));
        }

        var restored = store.Restore(entry.QuarantineId, null, overwrite: false, Ct);

        Assert.Empty(restored.Warnings);
        var after = Libc.Stat(original, followLinks: false, out _)!;
        Assert.Equal((status.Uid, status.Gid, status.Mode), (after.Uid, after.Gid, after.Mode));
        var restoredAttributes = Attributes(original);
        Assert.Equal(before.Keys.Order(StringComparer.Ordinal), restoredAttributes.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, value) in before)
        {
            Assert.True(value.AsSpan().SequenceEqual(restoredAttributes[name]), $"{name}: {Convert.ToHexString(value)} before, {Convert.ToHexString(restoredAttributes[name])} after");
        }
    }

    [Fact]
    public async Task AttributesOverTheBound_QuarantineProceeds_TheEntryNamesWhatItDropped_AndTheRestoreSaysSo()
    {
        await using var mount = await TmpfsMount.CreateAsync("osprey-quarantine-xattr-");
        var original = Path.Combine(mount.Path, "padded");
        await File.WriteAllBytesAsync(original, RandomNumberGenerator.GetBytes(100), Ct);
        // Two 40 KB values cannot both fit in 64 KiB; the capability goes first whatever the kernel's order.
        SetAttributes(original,
            ("user.big-a", Enumerable.Repeat((byte)'a', 40_000).ToArray()),
            ("user.big-b", Enumerable.Repeat((byte)'b', 40_000).ToArray()),
            ("security.capability", Capability(13)));
        var before = Attributes(original);
        var store = new QuarantineStore(Path.Combine(mount.Path, "store"), _key, Chunk);

        var entry = store.Add(Request(original), Ct);

        var dropped = Assert.Single(entry.ExtendedAttributesDropped);
        Assert.Contains(dropped, (string[])["user.big-a", "user.big-b"]);
        var restored = store.Restore(entry.QuarantineId, null, overwrite: false, Ct);
        var warning = Assert.Single(restored.Warnings);
        Assert.Equal((original, Errno.ENODATA), (warning.ObjectName, warning.Code));
        Assert.Contains($"the extended attribute {dropped} was not kept when the file was quarantined", warning.Message, StringComparison.Ordinal);
        var after = Attributes(original);
        Assert.Equal(before.Keys.Where(n => n != dropped).Order(StringComparer.Ordinal), after.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(before["security.capability"], after["security.capability"]);
    }

    [Fact]
    public async Task RestoreToAFilesystemWithoutAttributes_RestoresTheFile_AndTheTaskReportsEachAttributeThatDidNotComeBack()
    {
        await using var mount = await TmpfsMount.CreateAsync("osprey-quarantine-xattr-");
        var original = Path.Combine(mount.Path, "labelled");
        var content = RandomNumberGenerator.GetBytes(2 * Chunk);
        await File.WriteAllBytesAsync(original, content, Ct);
        SetAttributes(original, ("user.origin", Encoding.UTF8.GetBytes(Secret)), ("security.capability", Capability(13)));
        var store = new QuarantineStore(Path.Combine(mount.Path, "store"), _key, Chunk);
        var entry = store.Add(Request(original), Ct);
        // ramfs keeps no extended attributes at all: every fsetxattr fails with EOPNOTSUPP.
        var ramfs = Path.Combine(mount.Path, "ramfs");
        Directory.CreateDirectory(ramfs);
        await RunAsync("mount", "-t", "ramfs", "osprey-test", ramfs);
        try
        {
            var run = new TaskRun
            {
                Definition = new TaskDefinition
                {
                    TaskId = "t-1",
                    Type = "quarantine-restore",
                    QuarantineRestore = new QuarantineRestoreParams { QuarantineIds = { entry.QuarantineId }, Destination = ramfs },
                },
                Report = new TaskReport(),
                // The executor uses the store only.
                Services = new TaskServices
                {
                    Processes = null!, ProcessFacts = null!, Hasher = null!, Users = null!, Uploader = null!,
                    Time = TimeProvider.System, Quarantine = store, SpoolDirectory = mount.Path,
                },
            };

            await new QuarantineRestoreExecutor().ExecuteAsync(run, Ct);

            var target = Path.Combine(ramfs, "labelled");
            Assert.Equal(content, await File.ReadAllBytesAsync(target, Ct));
            Assert.Equal(0, run.Report.ReturnCode);
            var item = Assert.Single(run.Report.QuarantineRestore.Items);
            Assert.True(item.Succeeded);
            Assert.Equal(target, item.Path);
            Assert.Equal(
                ["security.capability", "user.origin"],
                item.Warnings.Select(w => w.Message.Split(' ')[3]).Order(StringComparer.Ordinal));
            Assert.All(item.Warnings, w =>
            {
                Assert.Equal((target, Errno.EOPNOTSUPP), (w.ObjectName, w.Code));
                Assert.Contains("could not be restored: ", w.Message, StringComparison.Ordinal);
            });
            Assert.Equal(item.Warnings, run.Report.Errors);
        }
        finally
        {
            await RunAsync("umount", ramfs);
        }
    }

    [Fact]
    public void EntryOfFormatVersion1_StillOpensAndRestores_WithNoAttributes()
    {
        using var dir = new TempDirectory("osprey-quarantine-v1");
        var store = new QuarantineStore(Path.Combine(dir.Path, "store"), GoldenKey, Chunk);
        File.WriteAllBytes(store.PathOf(GoldenV1Id), Convert.FromBase64String(GoldenV1));

        using (var opened = store.Open(GoldenV1Id))
        {
            Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(File.ReadAllBytes(store.PathOf(GoldenV1Id)).AsSpan(8)));
            Assert.Equal(("agent-v1", "1000", 0x1a0u), (opened.Entry.AgentId, opened.Entry.Metadata.Owner.Id, opened.Entry.Metadata.Mode));
            Assert.Empty(opened.Attributes.Attributes);
        }
        var restored = store.Restore(GoldenV1Id, dir.Path, overwrite: false, Ct);

        Assert.Empty(restored.Warnings);
        Assert.Equal("quarantined by format version 1\n", File.ReadAllText(restored.Path));
        Assert.Equal(("1000", "640"), (Libc.Stat(restored.Path, false, out _)!.Uid.ToString(CultureInfo.InvariantCulture), Convert.ToString((int)File.GetUnixFileMode(restored.Path), 8)));
    }

    [Fact]
    public async Task ChangedOrMissingAttributeSegment_DoesNotOpen()
    {
        await using var mount = await TmpfsMount.CreateAsync("osprey-quarantine-xattr-");
        var original = Path.Combine(mount.Path, "f");
        await File.WriteAllBytesAsync(original, RandomNumberGenerator.GetBytes(10), Ct);
        SetAttributes(original, ("user.origin", Encoding.UTF8.GetBytes(Secret)));
        var store = new QuarantineStore(Path.Combine(mount.Path, "store"), _key, Chunk);
        var entry = store.Add(Request(original) with { KeepOriginal = true }, Ct);
        var path = store.PathOf(entry.QuarantineId);
        var whole = await File.ReadAllBytesAsync(path, Ct);

        // A byte of the attributes' ciphertext flipped.
        var flipped = whole.ToArray();
        flipped[^(QuarantineFormat.TrailerBytes + QuarantineFormat.TagBytes + 3)] ^= 0x01;
        await File.WriteAllBytesAsync(path, flipped, Ct);
        var changed = Assert.Throws<QuarantineCorruptException>(() => store.Open(entry.QuarantineId).Dispose());
        Assert.Contains("the attribute list does not authenticate", changed.Message, StringComparison.Ordinal);

        // The attribute segment cut out, the trailer kept: the version in the header says it must be there.
        var metadataOffset = BinaryPrimitives.ReadInt64LittleEndian(whole.AsSpan(whole.Length - QuarantineFormat.TrailerBytes));
        var metadataLength = QuarantineFormat.SegmentBytes(BinaryPrimitives.ReadInt32LittleEndian(whole.AsSpan((int)metadataOffset + 1)));
        await File.WriteAllBytesAsync(path, [.. whole.AsSpan(0, (int)(metadataOffset + metadataLength)), .. whole.AsSpan(whole.Length - QuarantineFormat.TrailerBytes)], Ct);
        Assert.Throws<QuarantineCorruptException>(() => store.Open(entry.QuarantineId).Dispose());

        // The header's version lowered to 1 to pass the entry off as one without attributes: every tag fails.
        var downgraded = whole.ToArray();
        downgraded[8] = 1;
        await File.WriteAllBytesAsync(path, downgraded, Ct);
        Assert.Throws<QuarantineCorruptException>(() => store.Open(entry.QuarantineId).Dispose());
    }

    private static QuarantineStore.AddRequest Request(string path) => QuarantineStoreTests.Request(path);

    /// <summary>A VFS_CAP_REVISION_2 security.capability value: one capability, permitted and effective.</summary>
    private static byte[] Capability(int capability)
    {
        var value = new byte[20];
        BinaryPrimitives.WriteUInt32LittleEndian(value, 0x0200_0001); // revision 2 | VFS_CAP_FLAGS_EFFECTIVE
        BinaryPrimitives.WriteUInt32LittleEndian(value.AsSpan(4), 1u << capability); // permitted, low word
        return value;
    }

    /// <summary>A system.posix_acl_access value (version 2, then tag u16, permissions u16, id u32 per entry).</summary>
    private static byte[] Acl(params (ushort Tag, ushort Permissions, uint Id)[] entries)
    {
        var value = new byte[4 + 8 * entries.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(value, 2);
        for (var i = 0; i < entries.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(value.AsSpan(4 + 8 * i), entries[i].Tag);
            BinaryPrimitives.WriteUInt16LittleEndian(value.AsSpan(6 + 8 * i), entries[i].Permissions);
            BinaryPrimitives.WriteUInt32LittleEndian(value.AsSpan(8 + 8 * i), entries[i].Id);
        }
        return value;
    }

    private static void SetAttributes(string path, params (string Name, byte[] Value)[] attributes)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        foreach (var (name, value) in attributes)
        {
            var errno = ExtendedAttributes.Set(file, name, value);
            Assert.True(errno == 0, $"setting {name} on {path}: {Errno.Describe(errno)}");
        }
    }

    /// <summary>Every extended attribute of the file with its value, as the kernel returns them.</summary>
    private static Dictionary<string, byte[]> Attributes(string path)
    {
        using SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        var names = ExtendedAttributes.Names(file, out var errno) ?? throw Errno.ToException(errno, "flistxattr " + path);
        return names.ToDictionary(n => n, n => ExtendedAttributes.Value(file, n, out var e) ?? throw Errno.ToException(e, $"fgetxattr {path} {n}"), StringComparer.Ordinal);
    }

    private static async Task ChownAsync(string path, int uid, int gid) => await RunAsync("chown", $"{uid}:{gid}", path);

    private static async Task RunAsync(string command, params string[] arguments)
    {
        RootCheck.Require();
        var result = await CommandRunner.RunAsync(command, arguments, cancellationToken: Ct);
        Assert.True(result.ExitCode == 0, result.ToString());
    }
}
