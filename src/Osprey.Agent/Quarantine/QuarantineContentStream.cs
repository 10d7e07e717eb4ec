namespace Osprey.Agent.Quarantine;

/// <summary>
/// The plaintext of an entry as a read-only seekable stream (the uploader reads it twice: hash, then chunks, and
/// resumes at an offset). One decrypted chunk is cached; a chunk that does not authenticate throws
/// <see cref="QuarantineCorruptException"/>.
/// </summary>
internal sealed class QuarantineContentStream(QuarantineEntryFile entry) : Uplink.ReadOnlySeekableStream
{
    private readonly byte[] _chunk = new byte[entry.ChunkBytes];
    private readonly byte[] _segment = entry.NewSegmentBuffer();
    private long _cachedIndex = -1;
    private int _cachedLength;

    public override long Length => entry.Entry.Size;

    public override int Read(Span<byte> buffer)
    {
        if (Position >= Length || buffer.IsEmpty)
        {
            return 0;
        }
        var index = Position / entry.ChunkBytes;
        if (index != _cachedIndex)
        {
            _cachedIndex = -1;
            _cachedLength = entry.ReadChunk(index, _chunk, _segment);
            _cachedIndex = index;
        }
        var within = (int)(Position - index * entry.ChunkBytes);
        var n = Math.Min(buffer.Length, _cachedLength - within);
        _chunk.AsSpan(within, n).CopyTo(buffer);
        Position += n;
        return n;
    }
}
