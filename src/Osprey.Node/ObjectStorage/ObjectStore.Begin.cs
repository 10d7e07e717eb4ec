using Osprey.Contracts.Storage;
using Osprey.Node.Hosting;

namespace Osprey.Node.ObjectStorage;

public sealed partial class ObjectStore
{
    /// <summary>
    /// Begins an upload, or resumes the one this uploader has open for the same object (answering the offset to
    /// continue from); an object already stored answers complete at once.
    /// </summary>
    public async Task<(UploadStatus? Status, StorageProblem? Problem)> BeginAsync(Uploader uploader, UploadRequest request, CancellationToken cancellationToken)
    {
        var (declared, invalid) = Validate(uploader, request);
        if (declared is null)
        {
            return Fail<UploadStatus>(StorageProblemKind.Invalid, invalid!);
        }
        if (declared.Size > Limits.MaxObjectBytes)
        {
            return Fail<UploadStatus>(StorageProblemKind.TooLarge, $"the object is {declared.Size} bytes; the largest object this node stores is {Limits.MaxObjectBytes} bytes");
        }
        // A lost race with a concurrent begin or complete only sends us round again; three rounds always settle it.
        for (var round = 0; round < 3; round++)
        {
            var now = time.NowUs();
            if (index.GetObject(declared.Sha256) is { } stored)
            {
                if (stored.Size != declared.Size)
                {
                    return Fail<UploadStatus>(StorageProblemKind.Invalid, $"object {stored.Sha256} is stored with {stored.Size} bytes, not {declared.Size}");
                }
                index.Touch(stored.Sha256, now);
                if (index.FindUpload(uploader.Key, declared.Sha256) is { } leftover)
                {
                    await DiscardLockedAsync(leftover, cancellationToken).ConfigureAwait(false);
                }
                return (new UploadStatus(null, stored.Sha256, stored.Size, stored.Size, stored with { AccessedUs = now }), null);
            }
            var open = index.FindUpload(uploader.Key, declared.Sha256);
            if (open is not null && open.Size != declared.Size)
            {
                await DiscardLockedAsync(open, cancellationToken).ConfigureAwait(false);
                open = null;
            }
            if (open is not null)
            {
                var resumed = await ResumeAsync(open.UploadId, cancellationToken).ConfigureAwait(false);
                if (resumed is not null)
                {
                    return (resumed, null);
                }
                continue;
            }
            if (index.CountUploads(uploader.Key) >= Limits.MaxOpenUploadsPerUploader)
            {
                return Fail<UploadStatus>(StorageProblemKind.Conflict,
                    $"{uploader.Key} has {Limits.MaxOpenUploadsPerUploader} uploads open already; complete them or let them expire ({Limits.UploadExpiryHours} h)");
            }
            if (FreeBytes() is { } free && free < declared.Size)
            {
                return Fail<UploadStatus>(StorageProblemKind.InsufficientSpace, $"the node's disk has {free} bytes free, fewer than the object's {declared.Size}");
            }
            var upload = declared with { UploadId = Guid.NewGuid().ToString("N"), CreatedUs = now, UpdatedUs = now };
            CreatePart(upload.UploadId);
            if (index.AddUpload(upload))
            {
                LogUploadBegun(logger, upload.UploadId, upload.Sha256, upload.Size, upload.Uploader);
                return (new UploadStatus(upload.UploadId, upload.Sha256, upload.Size, 0, null), null);
            }
            File.Delete(paths.Upload(upload.UploadId));
        }
        return Fail<UploadStatus>(StorageProblemKind.Conflict, "the upload changed while it was being resumed; begin again");
    }

    /// <summary>Brings the part file back to the recorded offset (a crash may have left an unrecorded tail); null when the upload is gone.</summary>
    private async Task<UploadStatus?> ResumeAsync(string uploadId, CancellationToken cancellationToken)
    {
        var session = Session(uploadId);
        await session.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var upload = index.GetUpload(uploadId);
            if (upload is null)
            {
                return null;
            }
            var received = upload.Received;
            var part = paths.Upload(uploadId);
            if (!File.Exists(part))
            {
                CreatePart(uploadId);
                received = 0;
            }
            else
            {
                using var stream = new FileStream(part, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1);
                if (stream.Length != received)
                {
                    // Longer: a chunk written but never recorded. Shorter: the file lost recorded bytes; start over.
                    received = stream.Length > received ? received : 0;
                    stream.SetLength(received);
                    stream.Flush(flushToDisk: true);
                }
            }
            if (received != session.HashedUpTo)
            {
                session.Reset();
            }
            index.SetReceived(uploadId, received, time.NowUs());
            LogUploadResumed(logger, uploadId, upload.Sha256, received, upload.Size);
            return new UploadStatus(uploadId, upload.Sha256, upload.Size, received, null);
        }
        finally
        {
            session.Lock.Release();
        }
    }

    private async Task DiscardLockedAsync(UploadRecord upload, CancellationToken cancellationToken)
    {
        var session = Session(upload.UploadId);
        await session.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Discard(upload);
        }
        finally
        {
            session.Lock.Release();
        }
    }

    private void CreatePart(string uploadId)
    {
        using var _ = new FileStream(paths.Upload(uploadId), new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
    }

    private long? FreeBytes()
    {
        try
        {
            return new DriveInfo(paths.Root).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The upload a request declares (normalised), or why it is not acceptable.</summary>
    private static (UploadRecord? Upload, string? Error) Validate(Uploader uploader, UploadRequest request)
    {
        var sha256 = UploadProtocol.NormalizeSha256(request.Sha256);
        if (sha256 is null)
        {
            return (null, "sha256 must be the object's SHA-256 as 64 hex digits");
        }
        if (request.Size < 0)
        {
            return (null, "size must not be negative");
        }
        var name = string.IsNullOrEmpty(request.Name) ? sha256 : request.Name;
        if (name.Length > 255 || name.Any(char.IsControl))
        {
            return (null, "a name has at most 255 characters and no control characters");
        }
        var kind = string.IsNullOrEmpty(request.Kind) ? (uploader.AgentId is null ? "upload" : "file") : request.Kind;
        if (kind.Length > 32 || !kind.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            return (null, "a kind is at most 32 lowercase letters, digits and '-', e.g. file, memory-dump, disk-image");
        }
        var taskId = string.IsNullOrEmpty(request.TaskId) ? null : request.TaskId;
        if (taskId is { Length: > 64 } || taskId?.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') == false)
        {
            return (null, "a task ID is at most 64 letters, digits and '-'");
        }
        return (new UploadRecord
        {
            UploadId = "",
            Sha256 = sha256,
            Size = request.Size,
            Name = name,
            Kind = kind,
            AgentId = uploader.AgentId,
            TaskId = taskId,
            UploadedBy = uploader.User,
            Uploader = uploader.Key,
        }, null);
    }
}
