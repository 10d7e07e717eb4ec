using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace Osprey.Agent.Forensics;

/// <summary>
/// A seekable, read-only view of the first <c>Length</c> bytes of an open file or block device, read ahead in large
/// blocks, that hashes (MD5 and SHA-256) the first pass reading it in order from the start to the end. The Storage
/// uploader reads its content once to hash it and again to send it; this gives the MD5 too without a third read, and
/// the SHA-256 of what was hashed, to compare with the key the node stored (a source that changed between the passes
/// makes them differ).
/// </summary>
internal sealed class HashingReadStream : Uplink.ReadOnlySeekableStream
{
    private const int BlockBytes = 1 << 20;
    private readonly SafeFileHandle _handle;
    private readonly long _length;
    private readonly IncrementalHash _md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private byte[]? _block = ArrayPool<byte>.Shared.Rent(BlockBytes);
    private long _blockStart;
    private int _blockLength;
    private long _hashed;

    public HashingReadStream(SafeFileHandle handle, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _handle = handle;
        _length = length;
        if (length == 0)
        {
            Completed = Finish();
        }
    }

    /// <summary>MD5 and SHA-256 (lowercase hex) of the first whole in-order pass; null before one has ended.</summary>
    public (string Md5, string Sha256)? Completed { get; private set; }

    public override long Length => _length;

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_block is null, this);
        if (Position >= _length || buffer.IsEmpty)
        {
            return 0;
        }
        var count = (int)Math.Min(buffer.Length, _length - Position);
        var target = buffer[..count];
        if (count >= BlockBytes)
        {
            ReadExactly(target, Position);
        }
        else
        {
            if (Position < _blockStart || Position >= _blockStart + _blockLength)
            {
                _blockStart = Position;
                _blockLength = (int)Math.Min(BlockBytes, _length - Position);
                ReadExactly(_block.AsSpan(0, _blockLength), _blockStart);
            }
            count = Math.Min(count, (int)(_blockStart + _blockLength - Position));
            target = target[..count];
            _block.AsSpan((int)(Position - _blockStart), count).CopyTo(target);
        }
        Hash(target, Position);
        Position += count;
        return count;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && _block is { } block)
        {
            _block = null;
            ArrayPool<byte>.Shared.Return(block);
            _md5.Dispose();
            _sha256.Dispose();
        }
        base.Dispose(disposing);
    }

    private void ReadExactly(Span<byte> target, long offset)
    {
        while (!target.IsEmpty)
        {
            var read = RandomAccess.Read(_handle, target, offset);
            if (read == 0)
            {
                throw new IOException($"the source ended at {offset} bytes, before the {_length} bytes it had when the task started");
            }
            target = target[read..];
            offset += read;
        }
    }

    private void Hash(ReadOnlySpan<byte> data, long at)
    {
        if (Completed is not null)
        {
            // One whole pass is hashed (the uploader's hash pass); the node checks later passes against its SHA-256.
            return;
        }
        if (at == 0)
        {
            // A pass from the start after one that was not in order: hash this one.
            _md5.GetHashAndReset();
            _sha256.GetHashAndReset();
            _hashed = 0;
        }
        if (at != _hashed)
        {
            _hashed = -1; // not in order: this pass is not hashed
            return;
        }
        _md5.AppendData(data);
        _sha256.AppendData(data);
        _hashed += data.Length;
        if (_hashed == _length)
        {
            Completed = Finish();
            _hashed = -1;
        }
    }

    private (string, string) Finish() => (Convert.ToHexStringLower(_md5.GetHashAndReset()), Convert.ToHexStringLower(_sha256.GetHashAndReset()));
}
