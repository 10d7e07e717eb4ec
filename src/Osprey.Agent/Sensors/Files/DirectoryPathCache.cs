namespace Osprey.Agent.Sensors.Files;

/// <summary>
/// Directory paths by file handle, so a busy directory is resolved once rather than per event. Bounded: it is
/// emptied when full. A cached path goes stale only when a directory above it is renamed, so the reader clears
/// the cache on every directory rename and on queue overflow (when renames may have been missed). Used by the
/// reader thread only.
/// </summary>
internal sealed class DirectoryPathCache(int capacity)
{
    private readonly Dictionary<byte[], string> _paths = new(ByteKeyComparer.Instance);

    public int Count => _paths.Count;

    public bool TryGet(ReadOnlySpan<byte> key, out string path)
    {
        if (_paths.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(key, out var found))
        {
            path = found;
            return true;
        }
        path = "";
        return false;
    }

    public void Add(ReadOnlySpan<byte> key, string path)
    {
        if (_paths.Count >= capacity)
        {
            _paths.Clear();
        }
        _paths.GetAlternateLookup<ReadOnlySpan<byte>>()[key] = path;
    }

    public void Remove(ReadOnlySpan<byte> key) => _paths.GetAlternateLookup<ReadOnlySpan<byte>>().Remove(key);

    public void Clear() => _paths.Clear();
}
