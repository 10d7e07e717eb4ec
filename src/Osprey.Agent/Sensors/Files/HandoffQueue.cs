namespace Osprey.Agent.Sensors.Files;

/// <summary>
/// A bounded queue between two dedicated threads that block on it. Waiting is <see cref="Monitor.Wait(object, TimeSpan)"/>
/// only: BlockingCollection's semaphore spins and yields before it sleeps, and with a change every few milliseconds
/// that spinning was most of the file sensor's processing thread (about a tenth of the agent's steady CPU).
/// </summary>
public sealed class HandoffQueue<T>(int capacity)
{
    private readonly Queue<T> _items = new();
    // A plain object: Monitor.Wait and Pulse need its monitor (System.Threading.Lock has no condition wait).
    private readonly object _lock = new();
    private bool _completed;

    /// <summary>True once <see cref="CompleteAdding"/> was called and every item was taken.</summary>
    public bool IsCompleted
    {
        get
        {
            lock (_lock)
            {
                return _completed && _items.Count == 0;
            }
        }
    }

    /// <summary>Adds an item, waiting while the queue is full; throws when cancelled or completed.</summary>
    public void Add(T item, CancellationToken cancellationToken)
    {
        using var wake = cancellationToken.Register(PulseAll);
        lock (_lock)
        {
            while (_items.Count >= capacity && !_completed)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Monitor.Wait(_lock);
            }
            cancellationToken.ThrowIfCancellationRequested();
            if (_completed)
            {
                throw new InvalidOperationException("the queue is completed");
            }
            _items.Enqueue(item);
            if (_items.Count == 1)
            {
                Monitor.PulseAll(_lock);
            }
        }
    }

    /// <summary>Takes an item, waiting up to <paramref name="timeout"/> for one; false when none came or the queue is completed.</summary>
    public bool TryTake(out T item, TimeSpan timeout)
    {
        lock (_lock)
        {
            if (_items.Count == 0 && !_completed && timeout > TimeSpan.Zero)
            {
                Monitor.Wait(_lock, timeout);
            }
            return TakeLocked(out item);
        }
    }

    /// <summary>Takes an item if one is queued.</summary>
    public bool TryTake(out T item)
    {
        lock (_lock)
        {
            return TakeLocked(out item);
        }
    }

    /// <summary>No more items will be added: waiting takers and adders return.</summary>
    public void CompleteAdding()
    {
        lock (_lock)
        {
            _completed = true;
            Monitor.PulseAll(_lock);
        }
    }

    private bool TakeLocked(out T item)
    {
        if (!_items.TryDequeue(out item!))
        {
            return false;
        }
        if (_items.Count == capacity - 1)
        {
            // It was full: an adder may be waiting.
            Monitor.PulseAll(_lock);
        }
        return true;
    }

    private void PulseAll()
    {
        lock (_lock)
        {
            Monitor.PulseAll(_lock);
        }
    }
}
