using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Osprey.Contracts.Storage;
using Osprey.Node.Configuration;
using Osprey.Node.Hosting;
using Osprey.Node.Storage;

namespace Osprey.Node.ObjectStorage;

/// <summary>
/// Storage: objects named by their SHA-256, uploaded in chunks that are each verified before they are kept, committed
/// by a rename once the whole object's hash matches, and evicted least recently used first when over capacity.
/// </summary>
public sealed partial class ObjectStore(
    IObjectIndex index, INodeStore node, ObjectStoragePaths paths, IOptions<NodeOptions> options, TimeProvider time, ILogger<ObjectStore> logger,
    IEnumerable<IStoredObjectObserver>? observers = null)
{
    private readonly IStoredObjectObserver[] _observers = [.. observers ?? []];

    private readonly ConcurrentDictionary<string, UploadSession> _sessions = new(StringComparer.Ordinal);

    // Orders what changes the set of stored objects (commit, eviction, delete) so the capacity sum stays true.
    private readonly SemaphoreSlim _commit = new(1, 1);

    private ObjectStorageOptions Limits => options.Value.Storage;

    public int MaxChunkBytes => Limits.MaxChunkBytes;

    public IReadOnlyList<StoredObject> List(ObjectQuery query) => index.ListObjects(query);

    public StoredObject? Get(string sha256) => index.GetObject(sha256);

    public long UsedBytes() => index.TotalBytes();

    /// <summary>The object and its contents (shared for reading, so eviction may unlink it meanwhile); counts as a use.</summary>
    public (StoredObject? Object, FileStream? Content) Open(string sha256)
    {
        var stored = index.GetObject(sha256);
        if (stored is null)
        {
            return (null, null);
        }
        try
        {
            var content = new FileStream(paths.Object(sha256), new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.Read | FileShare.Delete,
                Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
                BufferSize = 0,
            });
            index.Touch(sha256, time.NowUs());
            return (stored, content);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return (null, null);
        }
    }

    public async Task<bool> DeleteAsync(string sha256, CancellationToken cancellationToken)
    {
        await _commit.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // The record goes first: a crash in between leaves a file without a record, which start-up removes.
            if (!index.DeleteObject(sha256))
            {
                return false;
            }
            File.Delete(paths.Object(sha256));
            return true;
        }
        finally
        {
            _commit.Release();
        }
    }

    private UploadSession Session(string uploadId) => _sessions.GetOrAdd(uploadId, static _ => new UploadSession());

    private void Discard(UploadRecord upload)
    {
        File.Delete(paths.Upload(upload.UploadId));
        index.DeleteUpload(upload.UploadId);
        if (_sessions.TryRemove(upload.UploadId, out var session))
        {
            session.Reset();
        }
    }

    private static (T?, StorageProblem?) Fail<T>(StorageProblemKind kind, string message, long? offset = null) =>
        (default, new StorageProblem(kind, message, offset));

    private static string Hex(ReadOnlySpan<byte> hash) => UploadProtocol.ToHex(hash);
}
