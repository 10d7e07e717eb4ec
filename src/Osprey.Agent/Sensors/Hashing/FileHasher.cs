using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using Osprey.Agent.Interop;

namespace Osprey.Agent.Sensors.Hashing;

/// <summary>MD5 and SHA-256 of a file with the status it had when hashed.</summary>
public sealed record FileHashes(string Md5, string Sha256, FileStatus Status);

/// <summary>
/// Hashes files (MD5 and SHA-256 in one read) up to a size bound, with a cache keyed by device, inode,
/// size and modification time, so an executable started a thousand times is read once.
/// </summary>
public sealed class FileHasher(long maxBytes, int cacheEntries = 16_384)
{
    private const int ChunkSize = 1 << 20;
    private readonly Dictionary<(ulong Device, ulong Inode), (long Size, long ModifyNs, string Md5, string Sha256)> _cache = [];
    private readonly Lock _lock = new();
    private long _hits;
    private long _misses;

    public long MaxBytes => maxBytes;

    public long CacheHits => Interlocked.Read(ref _hits);

    public long CacheMisses => Interlocked.Read(ref _misses);

    /// <summary>Hashes a regular file by path; null when it is not one, cannot be read, or is larger than the bound.</summary>
    public FileHashes? TryHash(string path)
    {
        // A stat answers from the cache without opening the file (an open, a lock and an fadvise the hit never needs).
        if (Libc.Stat(path, followLinks: true, out _) is not { IsRegularFile: true } status || status.Size > maxBytes)
        {
            return null;
        }
        if (Cached(status) is { } cached)
        {
            return cached;
        }
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan);
            return TryHash(handle);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Hashes an open file (for example one fanotify handed over); the handle's position is not used.</summary>
    public FileHashes? TryHash(SafeFileHandle handle)
    {
        var status = Libc.Stat(handle, out _);
        if (status is null || !status.IsRegularFile || status.Size > maxBytes)
        {
            return null;
        }
        if (Cached(status) is { } hit)
        {
            return hit;
        }
        Interlocked.Increment(ref _misses);
        string md5, sha256;
        try
        {
            (md5, sha256) = Compute(handle);
        }
        catch (IOException)
        {
            return null;
        }
        lock (_lock)
        {
            if (_cache.Count >= cacheEntries)
            {
                _cache.Clear();
            }
            _cache[(status.Device, status.Inode)] = (status.Size, status.ModifyNs, md5, sha256);
        }
        return new FileHashes(md5, sha256, status);
    }

    /// <summary>
    /// The hashes of the file with this status when the cache has them (same device, inode, size and modification time);
    /// null otherwise, also when it is not a regular file or is larger than the bound.
    /// </summary>
    public FileHashes? Cached(FileStatus status)
    {
        if (!status.IsRegularFile || status.Size > maxBytes)
        {
            return null;
        }
        lock (_lock)
        {
            if (_cache.TryGetValue((status.Device, status.Inode), out var cached) && cached.Size == status.Size && cached.ModifyNs == status.ModifyNs)
            {
                Interlocked.Increment(ref _hits);
                return new FileHashes(cached.Md5, cached.Sha256, status);
            }
        }
        return null;
    }

    /// <summary>Reads the file once from offset 0, feeding both hashes.</summary>
    public static (string Md5, string Sha256) Compute(SafeFileHandle handle)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            long offset = 0;
            int read;
            while ((read = RandomAccess.Read(handle, buffer.AsSpan(0, ChunkSize), offset)) > 0)
            {
                md5.AppendData(buffer, 0, read);
                sha256.AppendData(buffer, 0, read);
                offset += read;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
        return (Convert.ToHexStringLower(md5.GetHashAndReset()), Convert.ToHexStringLower(sha256.GetHashAndReset()));
    }
}
