using System.Buffers.Binary;
using System.Security.Cryptography;
using Google.Protobuf;
using Microsoft.Win32.SafeHandles;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Quarantine;

/// <summary>
/// One entry file opened for reading: the header, trailer and metadata are checked at open (a truncated or changed
/// file fails there), and each content chunk is authenticated as it is read, so no plaintext that did not come from
/// the agent's own writer is ever returned.
/// </summary>
internal sealed class QuarantineEntryFile : IDisposable
{
    private readonly SafeFileHandle _file;
    private readonly AesGcm _gcm;
    private readonly byte[] _header;
    private readonly long _chunks;

    private QuarantineEntryFile(string path, SafeFileHandle file, AesGcm gcm, byte[] header, int chunkBytes, QuarantineEntry entry)
    {
        Path = path;
        _file = file;
        _gcm = gcm;
        _header = header;
        ChunkBytes = chunkBytes;
        Entry = entry;
        _chunks = QuarantineFormat.ChunkCount(entry.Size, chunkBytes);
    }

    public string Path { get; }

    public int ChunkBytes { get; }

    /// <summary>What was recorded when the file was quarantined.</summary>
    public QuarantineEntry Entry { get; }

    /// <summary>Opens and authenticates the entry's header and metadata; <paramref name="expectedId"/> must be the ID the header holds.</summary>
    public static QuarantineEntryFile Open(string path, string expectedId, ReadOnlySpan<byte> storeKey)
    {
        var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        AesGcm? gcm = null;
        try
        {
            var length = RandomAccess.GetLength(file);
            var header = new byte[QuarantineFormat.HeaderBytes];
            if (length < QuarantineFormat.HeaderBytes + QuarantineFormat.TrailerBytes || ReadAt(file, header, 0) < header.Length)
            {
                throw new QuarantineCorruptException(path, $"it is {length} bytes long, too short for a header and a trailer (truncated)");
            }
            if (!header.AsSpan(0, 8).SequenceEqual(QuarantineFormat.Magic))
            {
                throw new QuarantineCorruptException(path, "it does not start with the quarantine entry magic");
            }
            var version = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(8));
            if (version != QuarantineFormat.Version || BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(10)) != 0)
            {
                throw new QuarantineCorruptException(path, $"format version {version} is not one this agent reads ({QuarantineFormat.Version})");
            }
            var chunkBytes = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(12));
            if (chunkBytes is < 1 or > QuarantineFormat.MaxChunkBytes)
            {
                throw new QuarantineCorruptException(path, $"chunk size {chunkBytes} is out of range");
            }
            if (!Convert.ToHexStringLower(header.AsSpan(16, QuarantineFormat.IdBytes)).Equals(expectedId, StringComparison.Ordinal))
            {
                throw new QuarantineCorruptException(path, "the header names another entry");
            }

            Span<byte> trailer = stackalloc byte[QuarantineFormat.TrailerBytes];
            ReadAt(file, trailer, length - QuarantineFormat.TrailerBytes);
            if (!trailer[8..].SequenceEqual(QuarantineFormat.TrailerMagic))
            {
                throw new QuarantineCorruptException(path, "it has no trailer (truncated, or the agent stopped while writing it)");
            }
            var metadataOffset = BinaryPrimitives.ReadInt64LittleEndian(trailer);
            var metadataEnd = length - QuarantineFormat.TrailerBytes;
            if (metadataOffset < QuarantineFormat.HeaderBytes || metadataOffset > metadataEnd - QuarantineFormat.SegmentBytes(0))
            {
                throw new QuarantineCorruptException(path, "the trailer points outside the file");
            }
            // The content's chunk count follows from where the metadata starts; it is the metadata segment's nonce.
            var contentBytes = metadataOffset - QuarantineFormat.HeaderBytes;
            var fullSegment = QuarantineFormat.SegmentBytes(chunkBytes);
            var chunks = contentBytes / fullSegment + (contentBytes % fullSegment > 0 ? 1 : 0);

            var key = QuarantineFormat.EntryKey(storeKey, header);
            gcm = new AesGcm(key, QuarantineFormat.TagBytes);
            CryptographicOperations.ZeroMemory(key);
            var segment = new byte[metadataEnd - metadataOffset];
            if (segment.Length > QuarantineFormat.SegmentBytes(QuarantineFormat.MaxMetadataBytes) || ReadAt(file, segment, metadataOffset) < segment.Length)
            {
                throw new QuarantineCorruptException(path, "the metadata segment is larger than allowed or cut short");
            }
            var plaintext = new byte[segment.Length - QuarantineFormat.SegmentPrefixBytes - QuarantineFormat.TagBytes];
            Decrypt(path, gcm, header, segment, chunks, QuarantineFormat.MetadataSegment, plaintext, "metadata");
            QuarantineEntry entry;
            try
            {
                entry = QuarantineEntry.Parser.ParseFrom(plaintext);
            }
            catch (InvalidProtocolBufferException e)
            {
                throw new QuarantineCorruptException(path, "the metadata does not parse", e);
            }
            if (entry.Size < 0 || QuarantineFormat.MetadataOffset(entry.Size, chunkBytes) != metadataOffset || entry.QuarantineId != expectedId)
            {
                throw new QuarantineCorruptException(path, "the metadata does not agree with the file's layout");
            }
            return new QuarantineEntryFile(path, file, gcm, header, chunkBytes, entry);
        }
        catch
        {
            gcm?.Dispose();
            file.Dispose();
            throw;
        }
    }

    /// <summary>Decrypts content chunk <paramref name="index"/> into <paramref name="destination"/> (at least <see cref="ChunkBytes"/> long); its length.</summary>
    public int ReadChunk(long index, Span<byte> destination, byte[] segmentBuffer)
    {
        if (index < 0 || index >= _chunks)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"chunk {index} of {_chunks}");
        }
        var length = index < _chunks - 1 ? ChunkBytes : (int)(Entry.Size - (_chunks - 1) * ChunkBytes);
        var segment = segmentBuffer.AsSpan(0, (int)QuarantineFormat.SegmentBytes(length));
        if (ReadAt(_file, segment, QuarantineFormat.HeaderBytes + index * QuarantineFormat.SegmentBytes(ChunkBytes)) < segment.Length)
        {
            throw new QuarantineCorruptException(Path, $"chunk {index} is cut short");
        }
        Decrypt(Path, _gcm, _header, segment, index, QuarantineFormat.DataSegment, destination[..length], $"chunk {index}");
        return length;
    }

    /// <summary>A buffer that holds one whole segment of this entry.</summary>
    public byte[] NewSegmentBuffer() => new byte[QuarantineFormat.SegmentBytes(ChunkBytes)];

    /// <summary>The content as a read-only, seekable stream that decrypts one chunk at a time.</summary>
    public Stream OpenContent() => new QuarantineContentStream(this);

    private static void Decrypt(string path, AesGcm gcm, byte[] header, ReadOnlySpan<byte> segment, long index, byte kind, Span<byte> plaintext, string what)
    {
        if (segment[0] != kind || BinaryPrimitives.ReadInt32LittleEndian(segment[1..]) != plaintext.Length)
        {
            throw new QuarantineCorruptException(path, $"the {what} segment has the wrong kind or length");
        }
        Span<byte> nonce = stackalloc byte[12];
        QuarantineFormat.Nonce(nonce, index, kind);
        var body = segment[QuarantineFormat.SegmentPrefixBytes..];
        try
        {
            gcm.Decrypt(nonce, body[..plaintext.Length], body[plaintext.Length..], plaintext, header);
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new QuarantineCorruptException(path, $"the {what} does not authenticate (changed, truncated, or sealed under another key)", e);
        }
    }

    private static int ReadAt(SafeFileHandle file, Span<byte> buffer, long offset)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = RandomAccess.Read(file, buffer[total..], offset + total);
            if (n == 0)
            {
                break;
            }
            total += n;
        }
        return total;
    }

    public void Dispose()
    {
        _gcm.Dispose();
        _file.Dispose();
    }
}
