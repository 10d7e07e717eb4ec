using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using Osprey.Agent.Interop;
using Osprey.Agent.Sensors.Files;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Quarantine;

// Adding a file: read once (hashing as it goes), encrypt into a temporary entry, make it durable, then remove the original.
internal sealed partial class QuarantineStore
{
    /// <summary>What to quarantine and how.</summary>
    public sealed record AddRequest
    {
        /// <summary>Absolute path of a regular file (a symbolic link is refused, not followed).</summary>
        public required string Path { get; init; }

        /// <summary>Leave the original in place (a copy is quarantined).</summary>
        public bool KeepOriginal { get; init; }

        /// <summary>When given, the file's contents must have these hashes or nothing is quarantined.</summary>
        public string? Md5 { get; init; }

        public string? Sha256 { get; init; }

        /// <summary>Fields the store does not know: agent, task, time.</summary>
        public required QuarantineEntry Template { get; init; }

        /// <summary>Owner, group, mode and the rest of the file's metadata, from its status and path.</summary>
        public required Func<FileStatus, string, FileMetadata> Describe { get; init; }
    }

    /// <summary>Quarantines one file; the entry as recorded. Throws <see cref="QuarantineException"/> and leaves nothing behind when it cannot.</summary>
    public QuarantineEntry Add(AddRequest request, CancellationToken cancellationToken)
    {
        var path = request.Path;
        var before = Libc.Stat(path, followLinks: false, out var errno)
            ?? throw new QuarantineException(errno, errno == Errno.ENOENT ? "no such file" : $"stat failed: {Errno.Describe(errno)}");
        RequireRegular(before);
        // O_NOFOLLOW and O_NONBLOCK: a path swapped for a link or a FIFO after the stat neither redirects nor blocks the read.
        using var source = FileHandles.Open(path, FileHandles.OpenReadOnly | FileHandles.OpenNoFollow | FileHandles.OpenNonBlocking | FileHandles.OpenNoAccessTime, out errno)
            ?? throw new QuarantineException(errno, $"cannot open it: {Errno.Describe(errno)}");
        var status = Libc.Stat(source, out errno) ?? throw new QuarantineException(errno, $"fstat failed: {Errno.Describe(errno)}");
        RequireRegular(status);
        if (status.Device != before.Device || status.Inode != before.Inode)
        {
            throw new QuarantineException(QuarantineException.Changed, "the path came to name another file while it was opened; nothing quarantined");
        }

        var id = NewId();
        var temporary = Path.Combine(Directory, id + QuarantineFormat.TemporarySuffix);
        var entry = new QuarantineEntry(request.Template)
        {
            QuarantineId = id,
            OriginalPath = path,
            OriginalDeleted = !request.KeepOriginal,
            Metadata = request.Describe(status, path),
            ModifiedUs = status.ModifyUs,
            AccessedUs = status.AccessUs,
            CreatedUs = status.BirthUs,
        };
        // Recovery recognises an unfinished move by these two.
        entry.Metadata.FileId = FileEventFactory.FileId(status);
        entry.Metadata.StatusChangedUs = status.ChangeUs;
        // Read before the content: an attribute changed meanwhile moves the ctime, which is checked after the copy.
        var dropped = new List<string>();
        var attributes = ReadAttributes(source, dropped);
        entry.ExtendedAttributesDropped.AddRange(dropped);
        try
        {
            using (var writer = QuarantineWriter.Create(temporary, _key, Convert.FromHexString(id), ChunkBytes))
            {
                (entry.Size, entry.Md5, entry.Sha256) = Copy(source, writer, cancellationToken);
                var after = Libc.Stat(source, out errno) ?? throw new QuarantineException(errno, $"fstat failed: {Errno.Describe(errno)}");
                if (after.Size != entry.Size || after.ModifyNs != status.ModifyNs || after.ChangeUs != status.ChangeUs)
                {
                    throw new QuarantineException(QuarantineException.Changed, "the file changed while it was read; nothing quarantined (try again)");
                }
                if ((request.Md5 is { Length: > 0 } md5 && !md5.Equals(entry.Md5, StringComparison.OrdinalIgnoreCase))
                    || (request.Sha256 is { Length: > 0 } sha256 && !sha256.Equals(entry.Sha256, StringComparison.OrdinalIgnoreCase)))
                {
                    throw new QuarantineException(QuarantineException.HashMismatch, "the file's contents do not have the hash given; not quarantined");
                }
                writer.Complete(entry, attributes);
            }
            File.Move(temporary, PathOf(id));
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
        errno = PosixFile.FsyncDirectory(Directory);
        if (errno != 0)
        {
            Remove(id);
            throw new QuarantineException(errno, $"fsync of the quarantine directory failed: {Errno.Describe(errno)}; nothing quarantined");
        }
        AfterCommit?.Invoke(id);
        if (!request.KeepOriginal)
        {
            RemoveOriginal(id, path, status);
        }
        return entry;
    }

    /// <summary>Removes the original once its encrypted copy is durable; on failure the entry goes too, so nothing is half-done.</summary>
    private void RemoveOriginal(string id, string path, FileStatus status)
    {
        var now = Libc.Stat(path, followLinks: false, out var errno);
        if (now is null || now.Device != status.Device || now.Inode != status.Inode)
        {
            Remove(id);
            throw new QuarantineException(QuarantineException.Changed, "the path came to name another file while it was quarantined; nothing quarantined");
        }
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Remove(id);
            throw new QuarantineException(e is UnauthorizedAccessException ? Errno.EPERM : e.HResult & 0xFFFF,
                $"the original could not be removed ({e.Message}); nothing quarantined", e);
        }
        errno = PosixFile.FsyncDirectory(Path.GetDirectoryName(path)!);
        if (errno != 0)
        {
            throw new QuarantineException(errno, $"the original was removed but fsync of its directory failed: {Errno.Describe(errno)}");
        }
    }

    private static void RequireRegular(FileStatus status)
    {
        if (status.IsRegularFile)
        {
            return;
        }
        throw status.IsDirectory
            ? new QuarantineException(21, "is a directory; quarantine takes files") // EISDIR
            : status.IsSymbolicLink
                ? new QuarantineException(40, "is a symbolic link; quarantine the file it points to") // ELOOP
                : new QuarantineException(Errno.EINVAL, $"is a {status.FileType}, not a regular file");
    }

    /// <summary>Reads the file to its end in chunks, hashing and encrypting each; the size and hashes of what was read.</summary>
    private (long Size, string Md5, string Sha256) Copy(SafeFileHandle source, QuarantineWriter writer, CancellationToken cancellationToken)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            long offset = 0;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var filled = 0;
                while (filled < ChunkBytes)
                {
                    var n = RandomAccess.Read(source, buffer.AsSpan(filled, ChunkBytes - filled), offset + filled);
                    if (n == 0)
                    {
                        break;
                    }
                    filled += n;
                }
                if (filled > 0)
                {
                    var chunk = buffer.AsSpan(0, filled);
                    md5.AppendData(chunk);
                    sha256.AppendData(chunk);
                    writer.WriteChunk(chunk);
                    offset += filled;
                }
                if (filled < ChunkBytes)
                {
                    return (offset, Convert.ToHexStringLower(md5.GetHashAndReset()), Convert.ToHexStringLower(sha256.GetHashAndReset()));
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
