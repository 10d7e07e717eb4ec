using System.Buffers.Binary;
using System.Security.Cryptography;
using Google.Protobuf;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Quarantine;

/// <summary>
/// Writes one entry file (<see cref="QuarantineFormat"/>): the header, then the content one chunk at a time (every
/// chunk but the last exactly <see cref="ChunkBytes"/> long), then the metadata, the extended attributes and the
/// trailer, and fsyncs it. Only one chunk is held in memory.
/// </summary>
internal sealed class QuarantineWriter : IDisposable
{
    private readonly FileStream _file;
    private readonly AesGcm _gcm;
    private readonly byte[] _header;
    private readonly byte[] _segment;
    private long _index;
    private bool _lastWritten;

    private QuarantineWriter(FileStream file, ReadOnlySpan<byte> storeKey, ReadOnlySpan<byte> id, int chunkBytes)
    {
        _file = file;
        ChunkBytes = chunkBytes;
        _header = QuarantineFormat.Header(id, RandomNumberGenerator.GetBytes(QuarantineFormat.SaltBytes), chunkBytes);
        var key = QuarantineFormat.EntryKey(storeKey, _header);
        _gcm = new AesGcm(key, QuarantineFormat.TagBytes);
        CryptographicOperations.ZeroMemory(key);
        _segment = new byte[QuarantineFormat.SegmentBytes(chunkBytes)];
        _file.Write(_header);
    }

    public int ChunkBytes { get; }

    /// <summary>Creates the file (it must not exist; readable by its owner only).</summary>
    public static QuarantineWriter Create(string path, ReadOnlySpan<byte> storeKey, ReadOnlySpan<byte> id, int chunkBytes)
    {
        var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            BufferSize = 0,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        try
        {
            return new QuarantineWriter(file, storeKey, id, chunkBytes);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Encrypts and writes one chunk of content: <see cref="ChunkBytes"/> long, or shorter for the last one.</summary>
    public void WriteChunk(ReadOnlySpan<byte> plaintext)
    {
        if (_lastWritten || plaintext.Length is 0 || plaintext.Length > ChunkBytes)
        {
            throw new InvalidOperationException("only the last chunk may be shorter than the chunk size, and no chunk is empty");
        }
        _lastWritten = plaintext.Length < ChunkBytes;
        WriteSegment(plaintext, _index++, QuarantineFormat.DataSegment);
    }

    /// <summary>Writes the metadata and extended-attribute segments and the trailer, and makes the file durable.</summary>
    public void Complete(QuarantineEntry entry, QuarantineExtendedAttributes attributes)
    {
        var metadata = entry.ToByteArray();
        if (metadata.Length > QuarantineFormat.MaxMetadataBytes)
        {
            throw new QuarantineException(7, $"the entry's metadata is {metadata.Length} bytes, more than {QuarantineFormat.MaxMetadataBytes}"); // E2BIG
        }
        var extended = attributes.ToByteArray();
        if (extended.Length > QuarantineFormat.MaxAttributeBytes)
        {
            throw new ArgumentException($"extended attributes of {extended.Length} bytes are over the bound", nameof(attributes));
        }
        var offset = _file.Position;
        // Both follow the last chunk with its index as theirs: the kind in the nonce keeps them apart.
        WriteTrailingSegment(metadata, QuarantineFormat.MetadataSegment);
        WriteTrailingSegment(extended, QuarantineFormat.AttributesSegment);
        Span<byte> trailer = stackalloc byte[QuarantineFormat.TrailerBytes];
        BinaryPrimitives.WriteInt64LittleEndian(trailer, offset);
        QuarantineFormat.TrailerMagic.CopyTo(trailer[8..]);
        _file.Write(trailer);
        _file.Flush(flushToDisk: true);
    }

    private void WriteSegment(ReadOnlySpan<byte> plaintext, long index, byte kind) => WriteSegmentTo(_segment, plaintext, index, kind);

    private void WriteTrailingSegment(byte[] plaintext, byte kind)
    {
        if (plaintext.Length > ChunkBytes)
        {
            WriteSegmentTo(new byte[QuarantineFormat.SegmentBytes(plaintext.Length)], plaintext, _index, kind);
        }
        else
        {
            WriteSegment(plaintext, _index, kind);
        }
    }

    private void WriteSegmentTo(byte[] buffer, ReadOnlySpan<byte> plaintext, long index, byte kind)
    {
        var segment = buffer.AsSpan(0, (int)QuarantineFormat.SegmentBytes(plaintext.Length));
        segment[0] = kind;
        BinaryPrimitives.WriteInt32LittleEndian(segment[1..], plaintext.Length);
        Span<byte> nonce = stackalloc byte[12];
        QuarantineFormat.Nonce(nonce, index, kind);
        var body = segment[QuarantineFormat.SegmentPrefixBytes..];
        _gcm.Encrypt(nonce, plaintext, body[..plaintext.Length], body[plaintext.Length..], _header);
        _file.Write(segment);
    }

    public void Dispose()
    {
        _gcm.Dispose();
        _file.Dispose();
    }
}
