using System.Collections.Concurrent;

namespace Osprey.Agent.Sensors.Processes;

/// <summary>
/// Buffers for the reader's exec-time first look, handed to the enrichment thread and back through a lock-free free
/// list (the shared array pool takes locks a preempted thread could hold while the real-time reader waits).
/// </summary>
internal sealed class CaptureBuffers
{
    private readonly ConcurrentQueue<byte[]> _free = new();
    private readonly int _size;
    private readonly int _keep;
    private int _count;

    /// <summary>Buffers of <paramref name="size"/> bytes, <paramref name="preallocate"/> of them made now, at most <paramref name="keep"/> kept.</summary>
    public CaptureBuffers(int size, int keep, int preallocate)
    {
        _size = size;
        _keep = keep;
        // Made up front: an allocation on the reader thread can wait for the collector's allocation lock.
        for (var i = 0; i < Math.Min(preallocate, keep); i++)
        {
            _free.Enqueue(new byte[size]);
        }
        _count = Math.Min(preallocate, keep);
    }

    public int Size => _size;

    public byte[] Rent()
    {
        if (_free.TryDequeue(out var buffer))
        {
            Interlocked.Decrement(ref _count);
            return buffer;
        }
        return new byte[_size];
    }

    /// <summary>Keeps a standard-size buffer for reuse (up to the bound); anything else is left to the collector.</summary>
    public void Return(byte[] buffer)
    {
        if (buffer.Length != _size)
        {
            return;
        }
        if (Interlocked.Increment(ref _count) > _keep)
        {
            Interlocked.Decrement(ref _count);
            return;
        }
        _free.Enqueue(buffer);
    }
}
