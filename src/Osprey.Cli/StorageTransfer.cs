using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Osprey.Contracts.Storage;

namespace Osprey.Cli;

/// <summary>Uploads (chunked, resumable) and downloads (hash-checked) of Storage objects through the operator API.</summary>
public static class StorageTransfer
{
    /// <summary>Uploads the file, continuing an upload the node holds for it; returns the stored object.</summary>
    public static async Task<JsonElement> UploadAsync(ApiClient client, FileInfo source, string name, int chunkBytes, CancellationToken cancellationToken)
    {
        var file = OpenRead(source);
        await using (file.ConfigureAwait(false))
        {
            var sha256 = UploadProtocol.ToHex(await SHA256.HashDataAsync(file, cancellationToken).ConfigureAwait(false));
            var begin = new { sha256, size = file.Length, name };
            var buffer = ArrayPool<byte>.Shared.Rent(chunkBytes);
            try
            {
                // A chunk refused (another client moved the upload on, a damaged chunk) sends us back to begin, twice at most.
                for (var attempt = 0; ; attempt++)
                {
                    var state = await client.PostAsync("/api/v1/storage/uploads", begin, cancellationToken).ConfigureAwait(false);
                    if (state.GetProperty("complete").GetBoolean())
                    {
                        return state.GetProperty("object");
                    }
                    var uploadId = state.GetProperty("uploadId").GetString()!;
                    var offset = state.GetProperty("offset").GetInt64();
                    var size = Math.Min(chunkBytes, state.GetProperty("maxChunkBytes").GetInt32());
                    try
                    {
                        for (; offset < file.Length; offset += size)
                        {
                            var length = (int)Math.Min(size, file.Length - offset);
                            file.Position = offset;
                            await file.ReadExactlyAsync(buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                            await SendChunkAsync(client, uploadId, offset, buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                        }
                    }
                    catch (CliException e) when (attempt < 2 && !e.Message.StartsWith("cannot reach", StringComparison.Ordinal))
                    {
                        continue;
                    }
                    catch (CliException e)
                    {
                        throw new CliException($"{e.Message}\nthe node holds {offset} of {file.Length} bytes; run the same command again to resume");
                    }
                    var done = await client.PostAsync($"/api/v1/storage/uploads/{uploadId}/complete", null, cancellationToken).ConfigureAwait(false);
                    return done.GetProperty("object");
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>Writes the object to <paramref name="target"/> ('-': standard output) and checks its SHA-256; returns its size.</summary>
    public static async Task<long> DownloadAsync(ApiClient client, string sha256, string target, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/storage/{sha256}");
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (body.ConfigureAwait(false))
        {
            if (target == "-")
            {
                var stdout = Console.OpenStandardOutput();
                await using (stdout.ConfigureAwait(false))
                {
                    return await CopyCheckedAsync(body, stdout, sha256, cancellationToken).ConfigureAwait(false);
                }
            }
            // Written beside the target and renamed once the hash matched, so a bad copy never takes the name.
            var partial = target + ".part";
            try
            {
                long size;
                var output = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
                await using (output.ConfigureAwait(false))
                {
                    size = await CopyCheckedAsync(body, output, sha256, cancellationToken).ConfigureAwait(false);
                }
                File.Move(partial, target, overwrite: true);
                return size;
            }
            finally
            {
                File.Delete(partial);
            }
        }
    }

    private static async Task<long> CopyCheckedAsync(Stream body, Stream output, string sha256, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        long size = 0;
        try
        {
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                size += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        var actual = UploadProtocol.ToHex(hash.GetHashAndReset());
        if (!string.Equals(actual, sha256, StringComparison.Ordinal))
        {
            throw new CliException($"the {size} bytes received hash to {actual}, not {sha256}; nothing was kept");
        }
        return size;
    }

    private static async Task SendChunkAsync(ApiClient client, string uploadId, long offset, ReadOnlyMemory<byte> chunk, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/storage/uploads/{uploadId}") { Content = new ReadOnlyMemoryContent(chunk) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(UploadProtocol.ChunkContentType);
        request.Headers.Add(UploadProtocol.OffsetHeader, offset.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add(UploadProtocol.DigestHeader, UploadProtocol.FormatDigest(SHA256.HashData(chunk.Span)));
        using var _ = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
    }

    private static FileStream OpenRead(FileInfo source)
    {
        try
        {
            return new FileStream(source.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot read {source.FullName}: {e.Message}", 2);
        }
    }
}
