using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Osprey.Agent.Quarantine;

/// <summary>
/// Layout of one quarantine entry file (docs/quarantine.md): a 64-byte header, the content as AES-256-GCM segments
/// of a fixed plaintext size, one metadata segment (the QuarantineEntry), from version 2 one extended-attribute
/// segment (QuarantineExtendedAttributes), and a 16-byte trailer locating the metadata. Each
/// entry has its own key, HKDF-SHA256 of the store's key with the entry's random salt; a segment's nonce is its
/// index and kind, and the header is the associated data of every segment, so segments cannot be moved, dropped,
/// swapped between entries or cut off without the metadata segment failing to open.
/// </summary>
internal static class QuarantineFormat
{
    /// <summary>The version written: 2 adds the extended-attribute segment after the metadata segment.</summary>
    public const ushort Version = 2;

    /// <summary>Entries written before extended attributes were kept: no segment after the metadata.</summary>
    public const ushort VersionWithoutAttributes = 1;
    public const int HeaderBytes = 64;
    public const int TrailerBytes = 16;
    public const int TagBytes = 16;

    /// <summary>Kind byte and plaintext length before each segment's ciphertext.</summary>
    public const int SegmentPrefixBytes = 5;
    public const int IdBytes = 16;
    public const int SaltBytes = 32;
    public const int DefaultChunkBytes = 1 << 20;
    public const int MaxChunkBytes = 16 << 20;
    public const int MaxMetadataBytes = 1 << 20;
    public const byte DataSegment = 1;
    public const byte MetadataSegment = 2;
    public const byte AttributesSegment = 3;

    /// <summary>
    /// Bound of the extended-attribute segment's plaintext (the serialised QuarantineExtendedAttributes): attributes
    /// beyond it are left out and named in the entry.
    /// </summary>
    public const int MaxAttributeBytes = 64 * 1024;

    public const string EntrySuffix = ".osq";
    public const string TemporarySuffix = ".osq.tmp";

    public static ReadOnlySpan<byte> Magic => "OSPREYQ\0"u8;

    public static ReadOnlySpan<byte> TrailerMagic => "OSPQEND1"u8;

    private static ReadOnlySpan<byte> KeyInfo => "osprey-quarantine-entry-v1"u8;

    /// <summary>magic (8) | version (u16) | flags (u16, 0) | chunk bytes (u32) | entry ID (16) | salt (32); little-endian.</summary>
    public static byte[] Header(ReadOnlySpan<byte> id, ReadOnlySpan<byte> salt, int chunkBytes)
    {
        var header = new byte[HeaderBytes];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8), Version);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12), chunkBytes);
        id.CopyTo(header.AsSpan(16, IdBytes));
        salt.CopyTo(header.AsSpan(32, SaltBytes));
        return header;
    }

    /// <summary>The entry's key: HKDF-SHA256 of the store key with the header's salt.</summary>
    public static byte[] EntryKey(ReadOnlySpan<byte> storeKey, ReadOnlySpan<byte> header)
    {
        var key = new byte[32];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, storeKey, key, header.Slice(32, SaltBytes), KeyInfo);
        return key;
    }

    /// <summary>Nonce of a segment: its index (big-endian u64) and kind (big-endian u32).</summary>
    public static void Nonce(Span<byte> nonce, long index, byte kind)
    {
        BinaryPrimitives.WriteInt64BigEndian(nonce, index);
        BinaryPrimitives.WriteUInt32BigEndian(nonce[8..], kind);
    }

    /// <summary>Bytes one data segment of <paramref name="plaintext"/> bytes takes in the file.</summary>
    public static long SegmentBytes(long plaintext) => SegmentPrefixBytes + plaintext + TagBytes;

    /// <summary>Where the metadata segment starts for content of <paramref name="size"/> bytes.</summary>
    public static long MetadataOffset(long size, int chunkBytes)
    {
        var full = size / chunkBytes;
        var rest = size % chunkBytes;
        return HeaderBytes + full * SegmentBytes(chunkBytes) + (rest > 0 ? SegmentBytes(rest) : 0);
    }

    public static long ChunkCount(long size, int chunkBytes) => (size + chunkBytes - 1) / chunkBytes;
}
