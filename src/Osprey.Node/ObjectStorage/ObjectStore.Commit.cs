using Osprey.Node.Hosting;
using Osprey.Node.Storage;

namespace Osprey.Node.ObjectStorage;

public sealed partial class ObjectStore
{
    /// <summary>
    /// Completes an upload: every byte received, the whole object's SHA-256 equal to the declared one, then the part
    /// file is renamed into place (evicting as needed) and recorded. A hash mismatch discards the upload.
    /// </summary>
    public async Task<(UploadStatus? Status, StorageProblem? Problem)> CompleteAsync(Uploader uploader, string uploadId, CancellationToken cancellationToken)
    {
        if (index.GetUpload(uploadId) is not { } known || known.Uploader != uploader.Key)
        {
            return Fail<UploadStatus>(StorageProblemKind.NotFound, $"no open upload {uploadId} (it completed, expired or was never begun); begin it again");
        }
        var session = Session(uploadId);
        await session.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (index.GetUpload(uploadId) is not { } upload)
            {
                return Fail<UploadStatus>(StorageProblemKind.NotFound, $"no open upload {uploadId} (it completed, expired or was never begun); begin it again");
            }
            if (upload.Received != upload.Size)
            {
                return Fail<UploadStatus>(StorageProblemKind.Conflict,
                    $"upload {uploadId} holds {upload.Received} of {upload.Size} bytes; send the rest before completing it", upload.Received);
            }
            var whole = await WholeHashAsync(session, upload, cancellationToken).ConfigureAwait(false);
            var actual = Hex(whole.GetCurrentHash());
            if (!string.Equals(actual, upload.Sha256, StringComparison.Ordinal))
            {
                Discard(upload);
                LogObjectRejected(logger, uploadId, actual, upload.Sha256);
                return Fail<UploadStatus>(StorageProblemKind.Invalid,
                    $"the {upload.Size} bytes received hash to SHA-256 {actual}, not the declared {upload.Sha256}; the upload is discarded, begin again");
            }
            var stored = await CommitAsync(upload, cancellationToken).ConfigureAwait(false);
            if (_sessions.TryRemove(uploadId, out var done))
            {
                done.Reset();
            }
            return (new UploadStatus(null, stored.Sha256, stored.Size, stored.Size, stored), null);
        }
        finally
        {
            session.Lock.Release();
        }
    }

    private async Task<StoredObject> CommitAsync(UploadRecord upload, CancellationToken cancellationToken)
    {
        await _commit.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = time.NowUs();
            if (index.GetObject(upload.Sha256) is { } existing)
            {
                // Stored meanwhile by another uploader: the same bytes, so this copy goes.
                Discard(upload);
                index.Touch(existing.Sha256, now);
                return existing with { AccessedUs = now };
            }
            Evict(upload.Size);
            var directory = paths.ObjectDirectory(upload.Sha256);
            var created = !Directory.Exists(directory);
            Directory.CreateDirectory(directory);
            var part = paths.Upload(upload.UploadId);
            File.SetUnixFileMode(part, UnixFileMode.UserRead);
            // Renamed before it is recorded: a crash in between leaves a complete upload whose object file exists,
            // which start-up records (ObjectStore.Recovery).
            File.Move(part, paths.Object(upload.Sha256), overwrite: true);
            DirectorySync.Flush(directory);
            if (created)
            {
                DirectorySync.Flush(paths.Objects);
            }
            var stored = StoredFrom(upload, now);
            index.CommitUpload(upload.UploadId, stored);
            LogObjectStored(logger, stored.Sha256, stored.Size, upload.Uploader);
            Notify(stored);
            return stored;
        }
        finally
        {
            _commit.Release();
        }
    }

    private void Notify(StoredObject stored)
    {
        foreach (var observer in _observers)
        {
            try
            {
                observer.OnStored(stored);
            }
            catch (Exception e)
            {
                // The object is committed whatever an observer does.
                LogObserverFailed(logger, stored.Sha256, e);
            }
        }
    }

    /// <summary>Removes least recently used objects until <paramref name="incoming"/> more bytes fit the capacity.</summary>
    private void Evict(long incoming)
    {
        var capacity = Limits.CapacityBytes;
        var total = index.TotalBytes();
        while (total + incoming > capacity)
        {
            var victims = index.LeastRecentlyUsed(64);
            if (victims.Count == 0)
            {
                return;
            }
            foreach (var victim in victims)
            {
                if (total + incoming <= capacity)
                {
                    return;
                }
                index.DeleteObject(victim.Sha256);
                File.Delete(paths.Object(victim.Sha256));
                total -= victim.Size;
                LogEvicted(logger, victim.Sha256, victim.Size, NodeClock.FromUs(victim.AccessedUs), capacity);
                node.AppendAudit(new AuditRecord
                {
                    TimeUs = time.NowUs(),
                    User = "(node)",
                    Role = "",
                    Action = "storage evict",
                    Target = victim.Sha256,
                    Status = 0,
                    Remote = "",
                    Detail = $"size={victim.Size} name={victim.Name} lastAccess={NodeClock.FromUs(victim.AccessedUs):O}: storing {incoming} bytes more would pass the capacity of {capacity} bytes",
                });
            }
        }
    }

    private static StoredObject StoredFrom(UploadRecord upload, long nowUs) => new()
    {
        Sha256 = upload.Sha256,
        Size = upload.Size,
        Name = upload.Name,
        Kind = upload.Kind,
        AgentId = upload.AgentId,
        TaskId = upload.TaskId,
        UploadedBy = upload.UploadedBy,
        CreatedUs = nowUs,
        AccessedUs = nowUs,
    };
}
