using System.Security.Cryptography;

namespace Osprey.Node.ObjectStorage;

/// <summary>
/// What the node keeps in memory for an open upload: a lock that orders its requests, and the running SHA-256 of
/// the bytes received so far (so completing does not read the object again; rebuilt from the part file after a restart).
/// </summary>
internal sealed class UploadSession
{
    public SemaphoreSlim Lock { get; } = new(1, 1);

    public IncrementalHash? Whole { get; private set; }

    /// <summary>How many bytes <see cref="Whole"/> has taken in; -1 when there is no running hash.</summary>
    public long HashedUpTo { get; private set; } = -1;

    public void Set(IncrementalHash whole, long hashedUpTo)
    {
        if (!ReferenceEquals(Whole, whole))
        {
            Whole?.Dispose();
        }
        Whole = whole;
        HashedUpTo = hashedUpTo;
    }

    public void Reset()
    {
        Whole?.Dispose();
        Whole = null;
        HashedUpTo = -1;
    }
}
