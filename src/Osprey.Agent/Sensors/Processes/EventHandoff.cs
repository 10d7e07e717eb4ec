using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Osprey.Agent.Interop;

namespace Osprey.Agent.Sensors.Processes;

/// <summary>
/// The bounded queue from the real-time reader thread to the enrichment thread. Lock-free on both sides: a lock shared
/// with a normal-priority thread would let a preempted holder stall the reader (priority inversion), and the reader
/// must never stall, since every microsecond it waits a short-lived process may vanish.
/// </summary>
internal sealed class EventHandoff : IDisposable
{
    /// <summary>Items queued without a wake-up still wake the consumer once this many are waiting.</summary>
    public const int LazyWakeCount = 64;

    private readonly ConcurrentQueue<ConnectorEvent> _items = new();
    private readonly WakeupEvent _wakeup = WakeupEvent.Create();
    private readonly int _capacity;
    private int _count;
    private int _consumerSleeping;
    private volatile bool _completed;

    public EventHandoff(int capacity) => _capacity = capacity;

    public int Count => Volatile.Read(ref _count);

    /// <summary>True once the producer stopped and everything it queued was taken.</summary>
    public bool IsCompleted => _completed && _items.IsEmpty;

    /// <summary>
    /// Queues without waiting; false when full. Without <paramref name="wake"/> a sleeping consumer is left asleep: the
    /// item waits for the next item that wakes it or for the consumer's own timeout, unless
    /// <see cref="LazyWakeCount"/> items are waiting.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryAdd(in ConnectorEvent item, bool wake = true)
    {
        var count = Interlocked.Increment(ref _count);
        if (count > _capacity)
        {
            Interlocked.Decrement(ref _count);
            return false;
        }
        _items.Enqueue(item);
        // Full fence after the enqueue, paired with the consumer's fence before its last look.
        if ((wake || count >= LazyWakeCount) && Interlocked.CompareExchange(ref _consumerSleeping, 0, 1) == 1)
        {
            _wakeup.Signal();
        }
        return true;
    }

    /// <summary>Queues, sleeping a millisecond at a time while the queue is full.</summary>
    public void Add(in ConnectorEvent item, CancellationToken cancellationToken)
    {
        while (!TryAdd(item))
        {
            cancellationToken.ThrowIfCancellationRequested();
            Thread.Sleep(1);
        }
    }

    /// <summary>Takes the next item, sleeping up to <paramref name="timeoutMs"/> when there is none.</summary>
    public bool TryTake(out ConnectorEvent item, int timeoutMs)
    {
        if (TryDequeue(out item))
        {
            return true;
        }
        if (timeoutMs <= 0 || _completed)
        {
            return false;
        }
        Interlocked.Exchange(ref _consumerSleeping, 1);
        if (TryDequeue(out item))
        {
            Interlocked.Exchange(ref _consumerSleeping, 0);
            return true;
        }
        _wakeup.Wait(timeoutMs);
        Interlocked.Exchange(ref _consumerSleeping, 0);
        return TryDequeue(out item);
    }

    /// <summary>The producer is done: a sleeping consumer wakes and finds the queue completed once it is drained.</summary>
    public void CompleteAdding()
    {
        _completed = true;
        _wakeup.Signal();
    }

    public void Dispose() => _wakeup.Dispose();

    private bool TryDequeue(out ConnectorEvent item)
    {
        if (!_items.TryDequeue(out item))
        {
            return false;
        }
        Interlocked.Decrement(ref _count);
        return true;
    }
}
