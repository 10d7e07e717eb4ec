namespace Osprey.Node.ObjectStorage;

/// <summary>Storage's records: the stored objects and the open uploads (the files are on disk, see ObjectStoragePaths).</summary>
public interface IObjectIndex
{
    void Initialize();

    StoredObject? GetObject(string sha256);
    IReadOnlyList<StoredObject> ListObjects(ObjectQuery query);
    IReadOnlyList<string> AllObjectIds();
    long TotalBytes();

    /// <summary>Objects by last access, least recent first (ties: stored first): the eviction order.</summary>
    IReadOnlyList<StoredObject> LeastRecentlyUsed(int limit);
    void Touch(string sha256, long nowUs);
    bool DeleteObject(string sha256);

    UploadRecord? GetUpload(string uploadId);
    UploadRecord? FindUpload(string uploader, string sha256);
    IReadOnlyList<UploadRecord> ListUploads();
    int CountUploads(string uploader);

    /// <summary>Adds the upload unless this uploader already has one for the object; false then.</summary>
    bool AddUpload(UploadRecord upload);
    void SetReceived(string uploadId, long received, long nowUs);
    void DeleteUpload(string uploadId);

    /// <summary>Records the object and removes its upload, atomically.</summary>
    void CommitUpload(string uploadId, StoredObject stored);
}
