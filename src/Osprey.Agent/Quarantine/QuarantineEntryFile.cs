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

    private QuarantineEntryFile(
        string path, SafeFileHandle file, AesGcm gcm, byte[] header, int chunkBytes, QuarantineEntry entry, QuarantineExtendedAttributes attributes)
    {
        Path = path;
        _file = file;
        _gcm = gcm;
        _header = header;
        ChunkBytes = chunkBytes;
        Entry = entry;
        Attributes = attributes;
        _chunks = QuarantineFormat.ChunkCount(entry.Size, chunkBytes);
    }

    public string Path { get; }

    public int ChunkBytes { get; }

    /// <summary>What was recorded when the file was quarantined.</summary>
    public QuarantineEntry Entry { get; }

    /// <summary>The original's extended attributes the entry keeps (none in a version 1 entry).</summary>
    public QuarantineExtendedAttributes Attributes { get; }

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
            if (version is not (QuarantineFormat.VersionWithoutAttributes or QuarantineFormat.Version) || BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(10)) != 0)
            {
                throw new QuarantineCorruptException(path, $"format version {version} is not one this agent reads ({QuarantineFormat.VersionWithoutAttributes} or {QuarantineFormat.Version})");
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
            // Version 1: the metadata runs to the trailer. Version 2: its length is in its prefix, and the
            // extended-attribute segment runs from its end to the trailer; the version is in every segment's
            // associated data, so a version 2 entry cannot be passed off as one without attributes.
            var metadataLength = metadataEnd - metadataOffset;
            if (version == QuarantineFormat.Version)
            {
                Span<byte> prefix = stackalloc byte[QuarantineFormat.SegmentPrefixBytes];
                ReadAt(file, prefix, metadataOffset);
                metadataLength = QuarantineFormat.SegmentBytes(BinaryPrimitives.ReadUInt32LittleEndian(prefix[1..]));
                if (metadataLength > metadataEnd - metadataOffset - QuarantineFormat.SegmentBytes(0))
                {
                    throw new QuarantineCorruptException(path, "the metadata segment runs past the extended attributes");
                }
            }
            var entry = ReadTrailingSegment(path, file, gcm, header, metadataOffset, metadataLength, chunks, QuarantineFormat.MetadataSegment,
                QuarantineFormat.MaxMetadataBytes, "metadata", QuarantineEntry.Parser);
            if (entry.Size < 0 || QuarantineFormat.MetadataOffset(entry.Size, chunkBytes) != metadataOffset || entry.QuarantineId != expectedId)
            {
                throw new QuarantineCorruptException(path, "the metadata does not agree with the file's layout");
            }
            var attributes = version == QuarantineFormat.Version
                ? ReadTrailingSegment(path, file, gcm, header, metadataOffset + metadataLength, metadataEnd - metadataOffset - metadataLength, chunks,
                    QuarantineFormat.AttributesSegment, QuarantineFormat.MaxAttributeBytes, "attribute list", QuarantineExtendedAttributes.Parser)
                : new QuarantineExtendedAttributes();
            return new QuarantineEntryFile(path, file, gcm, header, chunkBytes, entry, attributes);
        }
        catch
        {
            gcm?.Dispose();
            file.Dispose();
            throw;
        }
    }

    /// <summary>Reads, authenticates and parses one of the segments after the content (metadata, extended attributes).</summary>
    private static T ReadTrailingSegment<T>(
        string path, SafeFileHandle file, AesGcm gcm, byte[] header, long offset, long length, long index, byte kind, int maxPlaintext, string what, MessageParser<T> parser)
        where T : IMessage<T>
    {
        if (length < QuarantineFormat.SegmentBytes(0) || length > QuarantineFormat.SegmentBytes(maxPlaintext))
        {
            throw new QuarantineCorruptException(path, $"the {what} segment is larger than allowed or cut short");
        }
        var segment = new byte[length];
        if (ReadAt(file, segment, offset) < segment.Length)
        {
            throw new QuarantineCorruptException(path, $"the {what} segment is cut short");
        }
        var plaintext = new byte[segment.Length - QuarantineFormat.SegmentPrefixBytes - QuarantineFormat.TagBytes];
        Decrypt(path, gcm, header, segment, index, kind, plaintext, what);
        try
        {
            return parser.ParseFrom(plaintext);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new QuarantineCorruptException(path, $"the {what} does not parse", e);
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
