using Osprey.Node.Hosting;

namespace Osprey.Node.ObjectStorage;

public sealed partial class ObjectStore
{
    /// <summary>
    /// Creates the directories and tables, then makes files and records agree again after a crash: a complete upload
    /// renamed but not recorded is recorded; files without records and records without files are removed.
    /// </summary>
    public void Initialize()
    {
        Directory.CreateDirectory(paths.Root);
        File.SetUnixFileMode(paths.Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.CreateDirectory(paths.Objects);
        Directory.CreateDirectory(paths.Uploads);
        index.Initialize();

        var known = index.AllObjectIds().ToHashSet(StringComparer.Ordinal);
        foreach (var upload in index.ListUploads())
        {
            if (File.Exists(paths.Upload(upload.UploadId)))
            {
                continue;
            }
            if (upload.Received == upload.Size && !known.Contains(upload.Sha256) && File.Exists(paths.Object(upload.Sha256)))
            {
                index.CommitUpload(upload.UploadId, StoredFrom(upload, time.NowUs()));
                known.Add(upload.Sha256);
                LogRecovered(logger, upload.Sha256, upload.UploadId);
            }
            else
            {
                index.DeleteUpload(upload.UploadId);
            }
        }
        foreach (var file in Directory.EnumerateFiles(paths.Objects, "*", SearchOption.AllDirectories))
        {
            if (!known.Contains(Path.GetFileName(file)))
            {
                File.Delete(file);
                LogOrphanRemoved(logger, file);
            }
        }
        foreach (var sha256 in known.Where(sha256 => !File.Exists(paths.Object(sha256))))
        {
            index.DeleteObject(sha256);
            LogMissingRemoved(logger, sha256);
        }
        var open = index.ListUploads().Select(u => u.UploadId).ToHashSet(StringComparer.Ordinal);
        foreach (var part in Directory.EnumerateFiles(paths.Uploads))
        {
            if (!open.Contains(Path.GetFileNameWithoutExtension(part)))
            {
                File.Delete(part);
            }
        }
    }

    /// <summary>Discards uploads that received nothing for the expiry time (those busy right now are left for the next sweep).</summary>
    public int ExpireUploads()
    {
        var cutoff = time.NowUs() - Limits.UploadExpiryHours * 3600L * 1_000_000;
        var expired = 0;
        foreach (var upload in index.ListUploads().Where(u => u.UpdatedUs < cutoff))
        {
            var session = Session(upload.UploadId);
            if (!session.Lock.Wait(0))
            {
                continue;
            }
            try
            {
                if (index.GetUpload(upload.UploadId) is { } current && current.UpdatedUs < cutoff)
                {
                    Discard(current);
                    LogUploadExpired(logger, current.UploadId, current.Sha256, current.Received, current.Size, NodeClock.FromUs(current.UpdatedUs));
                    expired++;
                }
            }
            finally
            {
                session.Lock.Release();
            }
        }
        return expired;
    }
}
