namespace Osprey.Node.ObjectStorage;

/// <summary>Told of every object newly committed to Storage; must return at once (queue the work, never do it inline).</summary>
public interface IStoredObjectObserver
{
    void OnStored(StoredObject stored);
}
