using System.Globalization;
using Osprey.Agent.Interop;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Quarantine;

// Restoring an entry: decrypt into a hidden temporary file beside the target, give it the original's owner, mode,
// extended attributes and times, fsync, rename it into place (never over an existing file unless asked), then remove
// the entry.
internal sealed partial class QuarantineStore
{
    /// <summary>Prefix of the temporary file a restore writes in the target's directory.</summary>
    public const string RestorePrefix = ".osprey-restore-";

    /// <summary>The entry that was restored, where it now is, and what did not come back with it (extended attributes).</summary>
    public sealed record Restored(QuarantineEntry Entry, string Path, IReadOnlyList<ObjectError> Warnings);

    /// <summary>
    /// Restores an entry to its original path, or into <paramref name="destinationDirectory"/> under its original name.
    /// Throws <see cref="QuarantineException"/> and leaves the target untouched when it cannot.
    /// </summary>
    public Restored Restore(string id, string? destinationDirectory, bool overwrite, CancellationToken cancellationToken)
    {
        using var claim = Claim(id);
        using var file = Open(id);
        var entry = file.Entry;
        var target = string.IsNullOrEmpty(destinationDirectory) ? entry.OriginalPath : Path.Combine(destinationDirectory, Path.GetFileName(entry.OriginalPath));
        var directory = Path.GetDirectoryName(target) ?? "/";
        var parent = Libc.Stat(directory, followLinks: true, out var errno);
        if (parent is null || !parent.IsDirectory)
        {
            throw new QuarantineException(parent is null ? errno : Errno.ENOTDIR,
                $"the directory {directory} {(parent is null ? "does not exist" : "is not a directory")}; restore to a destination directory that exists");
        }
        if (Libc.Stat(target, followLinks: false, out _) is { } existing)
        {
            if (!overwrite)
            {
                throw new QuarantineException(17, $"{target} exists; restore with overwrite to replace it"); // EEXIST
            }
            if (existing.IsDirectory)
            {
                throw new QuarantineException(21, $"{target} is a directory; it is not replaced by a file"); // EISDIR
            }
        }

        var temporary = Path.Combine(directory, RestorePrefix + id);
        File.Delete(temporary); // left by a restore the agent did not finish
        List<ObjectError> warnings;
        try
        {
            warnings = WritePlaintext(file, temporary, target, cancellationToken);
            errno = PosixFile.Rename(temporary, target, replace: overwrite);
            if (errno != 0)
            {
                throw new QuarantineException(errno, errno == 17
                    ? $"{target} appeared while the entry was restored; restore with overwrite to replace it"
                    : $"renaming the restored file into place failed: {Errno.Describe(errno)}");
            }
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
        errno = PosixFile.FsyncDirectory(directory);
        if (errno != 0)
        {
            throw new QuarantineException(errno, $"the file was restored to {target} but fsync of its directory failed: {Errno.Describe(errno)}; the entry is kept");
        }
        Remove(id);
        return new Restored(entry, target, warnings);
    }

    /// <summary>
    /// Decrypts every chunk into a new file (mode 0600 while it is written), then sets owner, mode, extended attributes
    /// and times, and fsyncs it; the attributes that did not come back, as warnings about <paramref name="target"/>.
    /// </summary>
    private static List<ObjectError> WritePlaintext(QuarantineEntryFile file, string path, string target, CancellationToken cancellationToken)
    {
        var entry = file.Entry;
        using var output = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            BufferSize = 0,
            PreallocationSize = entry.Size,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        var chunk = new byte[file.ChunkBytes];
        var segment = file.NewSegmentBuffer();
        for (long index = 0, chunks = QuarantineFormat.ChunkCount(entry.Size, file.ChunkBytes); index < chunks; index++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var length = file.ReadChunk(index, chunk, segment);
            output.Write(chunk, 0, length);
        }
        var handle = output.SafeFileHandle;
        var metadata = entry.Metadata ?? new FileMetadata();
        if (uint.TryParse(metadata.Owner?.Id, NumberStyles.None, CultureInfo.InvariantCulture, out var uid)
            && uint.TryParse(metadata.OwnerGroup?.Id, NumberStyles.None, CultureInfo.InvariantCulture, out var gid))
        {
            Check(PosixFile.Chown(handle, uid, gid), $"setting the owner {uid}:{gid}");
        }
        Check(PosixFile.Chmod(handle, metadata.Mode), $"setting the mode {Convert.ToString(metadata.Mode, 8)}");
        // After chown (which clears security.capability) and chmod (which would rewrite an ACL's mask).
        var warnings = RestoreAttributes(handle, file, target);
        Check(PosixFile.SetTimes(handle, entry.AccessedUs, entry.ModifiedUs), "setting the times");
        Check(PosixFile.Fsync(handle), "fsync");
        return warnings;

        static void Check(int errno, string what)
        {
            if (errno != 0)
            {
                throw new QuarantineException(errno, $"{what} on the restored file failed: {Errno.Describe(errno)}");
            }
        }
    }
}
