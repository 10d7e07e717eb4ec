using System.Security.Cryptography;
using Osprey.Agent.Interop;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Quarantine;

/// <summary>
/// The agent's quarantine: a root-only directory of encrypted entry files (<see cref="QuarantineFormat"/>), one per
/// quarantined file, named by its ID. Adding is crash-safe: the encrypted copy is written beside, fsynced and renamed
/// into place (directory fsynced) before the original is removed; <see cref="Recover"/> at start-up undoes an add the
/// agent did not finish. Operations on one entry are serialised; different entries proceed in parallel.
/// </summary>
internal sealed partial class QuarantineStore
{
    private readonly byte[] _key;
    private readonly HashSet<string> _busy = new(StringComparer.Ordinal);

    public QuarantineStore(string directory, byte[] key, int chunkBytes = QuarantineFormat.DefaultChunkBytes)
    {
        if (key.Length != 32)
        {
            throw new ArgumentException("the quarantine key is 32 bytes", nameof(key));
        }
        if (chunkBytes is < 1 or > QuarantineFormat.MaxChunkBytes)
        {
            throw new ArgumentOutOfRangeException(nameof(chunkBytes));
        }
        Directory = directory;
        _key = key;
        ChunkBytes = chunkBytes;
        System.IO.Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // An existing directory keeps its mode on CreateDirectory: make sure it is the owner's only.
        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public string Directory { get; }

    public int ChunkBytes { get; }

    /// <summary>Fault injection: runs after an entry is durable and before the original is removed (a test throws to stand for a crash).</summary>
    internal Action<string>? AfterCommit { get; init; }

    /// <summary>A new random entry ID: 32 lowercase hex digits.</summary>
    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(QuarantineFormat.IdBytes));

    /// <summary>Whether <paramref name="id"/> has the form of an entry ID (it becomes a file name, so nothing else is accepted).</summary>
    public static bool IsValidId(string id) => id.Length == 2 * QuarantineFormat.IdBytes && id.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    /// <summary>The entry file of an ID (which is checked: it becomes a file name).</summary>
    public string PathOf(string id) => Path.Combine(Directory, Checked(id) + QuarantineFormat.EntrySuffix);

    /// <summary>Every entry's ID, whatever state its file is in.</summary>
    public IReadOnlyList<string> Ids() =>
    [
        .. System.IO.Directory.EnumerateFiles(Directory, "*" + QuarantineFormat.EntrySuffix)
            .Select(p => Path.GetFileName(p)[..^QuarantineFormat.EntrySuffix.Length])
            .Where(IsValidId)
            .Order(StringComparer.Ordinal),
    ];

    /// <summary>Opens an entry to read its metadata or content; throws <see cref="QuarantineException"/> when it is unknown or damaged.</summary>
    public QuarantineEntryFile Open(string id)
    {
        var path = PathOf(id);
        try
        {
            return QuarantineEntryFile.Open(path, id, _key);
        }
        catch (FileNotFoundException e)
        {
            throw new QuarantineException(Errno.ENOENT, $"there is no quarantine entry {id} on this host", e);
        }
    }

    /// <summary>Removes an entry, damaged or not; the entry as recorded, or null when it was damaged.</summary>
    public QuarantineEntry? Delete(string id)
    {
        using var claim = Claim(id);
        QuarantineEntry? entry = null;
        try
        {
            using var file = Open(id);
            entry = file.Entry;
        }
        catch (QuarantineCorruptException)
        {
            // A damaged entry can still be deleted.
        }
        Remove(id);
        return entry;
    }

    private void Remove(string id)
    {
        File.Delete(PathOf(id));
        var errno = PosixFile.FsyncDirectory(Directory);
        if (errno != 0)
        {
            throw new QuarantineException(errno, $"fsync of {Directory} failed: {Errno.Describe(errno)}");
        }
    }

    private static string Checked(string id) =>
        IsValidId(id) ? id : throw new QuarantineException(Errno.EINVAL, $"'{id}' is not a quarantine ID (32 lowercase hex digits)");

    /// <summary>Marks an entry busy for the length of one operation; a second operation on it meanwhile fails with EBUSY.</summary>
    private Claimed Claim(string id)
    {
        Checked(id);
        lock (_busy)
        {
            if (!_busy.Add(id))
            {
                throw new QuarantineException(16, $"another task is working on quarantine entry {id}"); // EBUSY
            }
        }
        return new Claimed(this, id);
    }

    private readonly struct Claimed(QuarantineStore store, string id) : IDisposable
    {
        public void Dispose()
        {
            lock (store._busy)
            {
                store._busy.Remove(id);
            }
        }
    }
}
