namespace Osprey.Agent.Quarantine;

/// <summary>
/// The plaintext of an entry as a read-only seekable stream (the uploader reads it twice: hash, then chunks, and
/// resumes at an offset). One decrypted chunk is cached; a chunk that does not authenticate throws
/// <see cref="QuarantineCorruptException"/>.
/// </summary>
internal sealed class QuarantineContentStream(QuarantineEntryFile entry) : Stream
{
    private readonly byte[] _chunk = new byte[entry.ChunkBytes];
    private readonly byte[] _segment = entry.NewSegmentBuffer();
    private long _cachedIndex = -1;
    private int _cachedLength;
    private long _position;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => entry.Entry.Size;

    public override long Position
    {
        get => _position;
        set => _position = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_position >= Length || buffer.IsEmpty)
        {
            return 0;
        }
        var index = _position / entry.ChunkBytes;
        if (index != _cachedIndex)
        {
            _cachedIndex = -1;
            _cachedLength = entry.ReadChunk(index, _chunk, _segment);
            _cachedIndex = index;
        }
        var within = (int)(_position - index * entry.ChunkBytes);
        var n = Math.Min(buffer.Length, _cachedLength - within);
        _chunk.AsSpan(within, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => Length + offset,
    };

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
