using Osprey.Node.Configuration;

namespace Osprey.Node.ObjectStorage;

/// <summary>
/// Where Storage keeps its files: <c>storage/objects/ab/abcd…</c> (named by the lowercase hex SHA-256, fanned out
/// by its first two digits) and <c>storage/uploads/ID.part</c>, on one file system so a rename commits an object.
/// </summary>
public sealed record ObjectStoragePaths(string Root)
{
    public ObjectStoragePaths(NodePaths paths)
        : this(paths.ObjectStorage)
    {
    }

    public string Objects => Path.Combine(Root, "objects");

    public string Uploads => Path.Combine(Root, "uploads");

    public string ObjectDirectory(string sha256) => Path.Combine(Objects, sha256[..2]);

    public string Object(string sha256) => Path.Combine(Objects, sha256[..2], sha256);

    public string Upload(string uploadId) => Path.Combine(Uploads, uploadId + ".part");
}
