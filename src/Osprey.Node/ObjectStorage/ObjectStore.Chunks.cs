using System.Buffers;
using System.Security.Cryptography;
using Osprey.Node.Hosting;

namespace Osprey.Node.ObjectStorage;

public sealed partial class ObjectStore
{
    private const int CopyBufferBytes = 256 * 1024;

    /// <summary>
    /// Appends one chunk at <paramref name="offset"/> if that is where the upload stands and the bytes hash to
    /// <paramref name="sha256"/>; otherwise nothing is kept (the part file is cut back) and the answer says why.
    /// The chunk streams to the part file while it is hashed, so no chunk is held in memory.
    /// </summary>
    public async Task<(long? Offset, StorageProblem? Problem)> AppendAsync(
        Uploader uploader, string uploadId, long offset, byte[]? sha256, Stream body, long? length, CancellationToken cancellationToken)
    {
        if (sha256 is null)
        {
            return Fail<long?>(StorageProblemKind.Invalid, "a chunk needs its SHA-256 in the header Content-Digest: sha-256=:BASE64:");
        }
        if (index.GetUpload(uploadId) is not { } known || known.Uploader != uploader.Key)
        {
            return Fail<long?>(StorageProblemKind.NotFound, $"no open upload {uploadId} (it completed, expired or was never begun); begin it again");
        }
        var session = Session(uploadId);
        await session.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (index.GetUpload(uploadId) is not { } upload)
            {
                return Fail<long?>(StorageProblemKind.NotFound, $"no open upload {uploadId} (it completed, expired or was never begun); begin it again");
            }
            if (offset != upload.Received)
            {
                return Fail<long?>(StorageProblemKind.Conflict,
                    $"upload {uploadId} is at offset {upload.Received}, not {offset}; send the chunk that starts at {upload.Received}", upload.Received);
            }
            var room = Math.Min(Limits.MaxChunkBytes, upload.Size - offset);
            if (length > room)
            {
                return Fail<long?>(StorageProblemKind.TooLarge, TooLong(upload, offset, length.Value));
            }
            var whole = await WholeHashAsync(session, upload, cancellationToken).ConfigureAwait(false);
            var before = whole.Clone();
            long written;
            StorageProblem? problem;
            try
            {
                (written, problem) = await WriteChunkAsync(upload, offset, room, sha256, body, whole, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // The sender went away mid-chunk (or the disk failed): the running hash goes back with the file.
                session.Set(before, offset);
                throw;
            }
            if (problem is not null)
            {
                session.Set(before, offset);
                return (null, problem);
            }
            before.Dispose();
            var received = offset + written;
            index.SetReceived(uploadId, received, time.NowUs());
            session.Set(whole, received);
            return (received, null);
        }
        finally
        {
            session.Lock.Release();
        }
    }

    private async Task<(long Written, StorageProblem? Problem)> WriteChunkAsync(
        UploadRecord upload, long offset, long room, byte[] sha256, Stream body, IncrementalHash whole, CancellationToken cancellationToken)
    {
        using var chunk = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferBytes);
        var file = new FileStream(paths.Upload(upload.UploadId), new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Write,
            Options = FileOptions.Asynchronous,
            BufferSize = 0,
        });
        await using (file.ConfigureAwait(false))
        {
            var kept = false;
            try
            {
                file.Position = offset;
                long written = 0;
                int read;
                while ((read = await body.ReadAsync(buffer.AsMemory(0, CopyBufferBytes), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    if (written + read > room)
                    {
                        return (0, new StorageProblem(StorageProblemKind.TooLarge, TooLong(upload, offset, written + read)));
                    }
                    chunk.AppendData(buffer, 0, read);
                    whole.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    written += read;
                }
                var actual = chunk.GetHashAndReset();
                if (!actual.AsSpan().SequenceEqual(sha256))
                {
                    LogChunkRejected(logger, upload.UploadId, offset, Hex(actual), Hex(sha256));
                    return (0, new StorageProblem(StorageProblemKind.Invalid,
                        $"the chunk at offset {offset} ({written} bytes) hashes to SHA-256 {Hex(actual)}, not {Hex(sha256)} as its Content-Digest says; nothing was appended, send it again"));
                }
                file.Flush(flushToDisk: true);
                kept = true;
                return (written, null);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
                if (!kept)
                {
                    // Nothing past the recorded offset counts; cutting it back keeps the part file equal to it.
                    file.SetLength(offset);
                }
            }
        }
    }

    private string TooLong(UploadRecord upload, long offset, long length) =>
        length > Limits.MaxChunkBytes
            ? $"a chunk is at most {Limits.MaxChunkBytes} bytes"
            : $"the chunk ({length} bytes at offset {offset}) runs past the declared size of {upload.Size} bytes; nothing was appended";

    /// <summary>The running hash of the bytes received so far, rebuilt from the part file when the node restarted since.</summary>
    private async Task<IncrementalHash> WholeHashAsync(UploadSession session, UploadRecord upload, CancellationToken cancellationToken)
    {
        if (session.Whole is { } running && session.HashedUpTo == upload.Received)
        {
            return running;
        }
        var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferBytes);
        try
        {
            var file = new FileStream(paths.Upload(upload.UploadId), new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
                BufferSize = 0,
            });
            await using (file.ConfigureAwait(false))
            {
                var left = upload.Received;
                while (left > 0)
                {
                    var read = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(left, buffer.Length)), cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        throw new IOException($"{paths.Upload(upload.UploadId)} is shorter than the {upload.Received} bytes recorded for it");
                    }
                    hash.AppendData(buffer, 0, read);
                    left -= read;
                }
            }
        }
        catch
        {
            hash.Dispose();
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        session.Set(hash, upload.Received);
        return hash;
    }
}
