using System.Buffers;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Osprey.Contracts.Storage;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Uplink;

/// <summary>
/// Uploads a file into the node's Storage (docs/storage.md): hashes it, asks the node where to start (an object it
/// already holds is not sent again, an interrupted upload continues), sends chunks with their SHA-256 and completes.
/// A node that goes away or refuses a chunk is retried with back-off, resuming from what the node holds.
/// </summary>
public sealed partial class ObjectUploader(NodeConnector node, ObjectUploaderOptions options, TimeProvider time, ILogger<ObjectUploader> logger)
{
    // A chunk refused as corrupt, or an object whose hash no longer matches, is sent again this many times at most.
    private const int MaxCorruptions = 3;

    private long _bytesSent;
    private int _resumes;

    /// <summary>Chunk bytes the node accepted, over all uploads.</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    /// <summary>Uploads that continued from a non-zero offset the node reported.</summary>
    public int Resumes => Volatile.Read(ref _resumes);

    public Task<string> UploadAsync(string path, string name, string? taskId, CancellationToken cancellationToken) =>
        UploadAsync(path, name, taskId, "file", cancellationToken);

    /// <summary>Uploads the file at <paramref name="path"/>; returns its SHA-256 (lowercase hex), the object's key in Storage.</summary>
    public async Task<string> UploadAsync(string path, string name, string? taskId, string kind, CancellationToken cancellationToken)
    {
        var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.ReadWrite | FileShare.Delete,
            Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
            BufferSize = 0,
        });
        await using (file.ConfigureAwait(false))
        {
            return await UploadAsync(file, name, taskId, kind, cancellationToken).ConfigureAwait(false);
        }
    }

    public Task<string> UploadAsync(Stream content, string name, string? taskId, CancellationToken cancellationToken) =>
        UploadAsync(content, name, taskId, "file", cancellationToken);

    /// <summary>Uploads a seekable stream from its start; returns its SHA-256 (lowercase hex).</summary>
    public async Task<string> UploadAsync(Stream content, string name, string? taskId, string kind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (!content.CanSeek)
        {
            throw new ArgumentException("an upload reads its content twice (hash, then chunks) and needs a seekable stream", nameof(content));
        }
        var backoff = new Backoff(options.BackoffInitial, options.BackoffMax);
        var lastProgress = time.GetUtcNow();
        var corruptions = 0;
        var buffer = ArrayPool<byte>.Shared.Rent(options.ChunkBytes);
        try
        {
            var sha256 = await HashAsync(content, cancellationToken).ConfigureAwait(false);
            var request = new UploadBeginRequest { Sha256 = sha256, Size = (ulong)content.Length, FileName = name, TaskId = taskId ?? "", Kind = kind };
            while (true)
            {
                var stage = "begin";
                try
                {
                    var state = UploadState.Parser.ParseFrom(
                        await node.PostAsync("/agent/v1/uploads", request, options.RequestTimeout, cancellationToken).ConfigureAwait(false));
                    if (state.Complete)
                    {
                        LogStored(logger, sha256, content.Length, BytesSent);
                        return sha256;
                    }
                    if (state.Offset > 0)
                    {
                        Interlocked.Increment(ref _resumes);
                        LogResumed(logger, sha256, state.Offset, content.Length);
                    }
                    stage = "chunk";
                    var chunkBytes = (int)Math.Min(options.ChunkBytes, state.MaxChunkBytes > 0 ? state.MaxChunkBytes : int.MaxValue);
                    for (var offset = (long)state.Offset; offset < content.Length;)
                    {
                        var length = (int)Math.Min(chunkBytes, content.Length - offset);
                        await SendChunkAsync(content, state.UploadId, offset, buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                        offset += length;
                        Interlocked.Add(ref _bytesSent, length);
                        lastProgress = time.GetUtcNow();
                        backoff.Reset();
                    }
                    stage = "complete";
                    await node.PostAsync($"/agent/v1/uploads/{state.UploadId}/complete", [], options.RequestTimeout, cancellationToken).ConfigureAwait(false);
                    LogStored(logger, sha256, content.Length, BytesSent);
                    return sha256;
                }
                catch (NodeRefusedException e) when (e.Status == HttpStatusCode.BadRequest && stage != "begin")
                {
                    // A chunk that arrived damaged, or a file that changed after it was hashed: send it again, a few times.
                    if (++corruptions > MaxCorruptions)
                    {
                        throw;
                    }
                    if (stage == "complete")
                    {
                        sha256 = await HashAsync(content, cancellationToken).ConfigureAwait(false);
                        request = new UploadBeginRequest(request) { Sha256 = sha256, Size = (ulong)content.Length };
                    }
                    LogRetrying(logger, sha256, e.Message, 0);
                }
                catch (Exception e) when (e is NodeUnavailableException || e is NodeRefusedException { Status: HttpStatusCode.NotFound or HttpStatusCode.Conflict })
                {
                    // The node went away, lost the upload (expired, another node) or holds another offset: ask it again.
                    if (time.GetUtcNow() - lastProgress > options.GiveUpAfter)
                    {
                        throw;
                    }
                    var delay = backoff.NextDelay();
                    LogRetrying(logger, sha256, e.Message, delay.TotalSeconds);
                    await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task SendChunkAsync(Stream content, string uploadId, long offset, Memory<byte> chunk, CancellationToken cancellationToken)
    {
        content.Position = offset;
        var read = await content.ReadAtLeastAsync(chunk, chunk.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (read < chunk.Length)
        {
            throw new IOException($"the content became shorter while it was uploaded (ended at {offset + read} bytes, was {content.Length})");
        }
        KeyValuePair<string, string>[] headers =
        [
            new(UploadProtocol.OffsetHeader, offset.ToString(CultureInfo.InvariantCulture)),
            new(UploadProtocol.DigestHeader, UploadProtocol.FormatDigest(SHA256.HashData(chunk.Span))),
        ];
        await node.SendAsync(HttpMethod.Patch, $"/agent/v1/uploads/{uploadId}", chunk, UploadProtocol.ChunkContentType, headers, options.RequestTimeout, cancellationToken)
            .ConfigureAwait(false);
    }

    private static async Task<string> HashAsync(Stream content, CancellationToken cancellationToken)
    {
        content.Position = 0;
        return UploadProtocol.ToHex(await SHA256.HashDataAsync(content, cancellationToken).ConfigureAwait(false));
    }

    [LoggerMessage(EventId = 2201, Level = LogLevel.Information, Message = "Object {Sha256} ({Size} bytes) is in Storage; {Sent} bytes sent by this uploader so far")]
    private static partial void LogStored(ILogger logger, string sha256, long size, long sent);

    [LoggerMessage(EventId = 2202, Level = LogLevel.Information, Message = "Upload of {Sha256} resumes at {Offset} of {Size} bytes")]
    private static partial void LogResumed(ILogger logger, string sha256, ulong offset, long size);

    [LoggerMessage(EventId = 2203, Level = LogLevel.Warning, Message = "Upload of {Sha256} interrupted: {Reason}; retrying in {Seconds:0.0} s")]
    private static partial void LogRetrying(ILogger logger, string sha256, string reason, double seconds);
}
