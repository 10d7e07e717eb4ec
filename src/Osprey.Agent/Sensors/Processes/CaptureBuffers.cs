using System.Collections.Concurrent;

namespace Osprey.Agent.Sensors.Processes;

/// <summary>
/// Buffers for the reader's exec-time first look, handed to the enrichment thread and back through a lock-free free
/// list (the shared array pool takes locks a preempted thread could hold while the real-time reader waits).
/// </summary>
internal sealed class CaptureBuffers(int size, int keep)
{
    private readonly ConcurrentQueue<byte[]> _free = new();
    private int _count;

    public int Size => size;

    public byte[] Rent()
    {
        if (_free.TryDequeue(out var buffer))
        {
            Interlocked.Decrement(ref _count);
            return buffer;
        }
        return new byte[size];
    }

    /// <summary>Keeps a standard-size buffer for reuse (up to the bound); anything else is left to the collector.</summary>
    public void Return(byte[] buffer)
    {
        if (buffer.Length != size)
        {
            return;
        }
        if (Interlocked.Increment(ref _count) > keep)
        {
            Interlocked.Decrement(ref _count);
            return;
        }
        _free.Enqueue(buffer);
    }
}
