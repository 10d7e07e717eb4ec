using System.Globalization;
using System.Security.Cryptography;
using Osprey.Agent.Interop;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Tasks.IocScan;

/// <summary>
/// FileItem: a regular file found by the walk. Hashes are computed only when a hash term is asked for (MD5 and
/// SHA-256 through the agent's hasher and its cache, SHA-1 on its own read), and only for files up to the size bound.
/// </summary>
internal sealed class FileObject(string path, FileStatus status, FileScanContext context) : ScanObject
{
    private (string Md5, string Sha256)? _hashes;
    private string? _sha1;
    private bool _hashTried;
    private bool _sha1Tried;

    public override string Document => "FileItem";

    public string FullPath => path;

    protected override IReadOnlyList<string>? Term(string term) => term switch
    {
        "fullpath" => One(path),
        "filepath" => One(Path.GetDirectoryName(path) ?? "/"),
        "filename" => One(Path.GetFileName(path)),
        "fileextension" => One(Path.GetExtension(path).TrimStart('.')),
        "sizeinbytes" => One(status.Size),
        "created" => Time(status.BirthUs),
        "modified" => Time(status.ModifyUs),
        "accessed" => Time(status.AccessUs),
        "changed" => Time(status.ChangeUs),
        "username" => One(context.Users.UserName(status.Uid) ?? status.Uid.ToString(CultureInfo.InvariantCulture)),
        "group" => One(context.Users.GroupName(status.Gid) ?? status.Gid.ToString(CultureInfo.InvariantCulture)),
        "permissions" => One(Convert.ToString(status.Mode & 0xfff, 8).PadLeft(4, '0')),
        "inode" => One((long)status.Inode),
        "md5sum" => One(Hashes()?.Md5),
        "sha256sum" => One(Hashes()?.Sha256),
        "sha1sum" => One(Sha1()),
        _ => null,
    };

    public override IocObject ToProto()
    {
        var file = new FileItem { FullPath = path, Size = status.Size };
        // The seeds' fields: a reported file carries its hashes even when no hash term asked for them.
        if (Hashes() is { } hashes)
        {
            (file.Md5, file.Sha256) = (hashes.Md5, hashes.Sha256);
        }
        return new IocObject { File = file };
    }

    private (string Md5, string Sha256)? Hashes()
    {
        if (!_hashTried)
        {
            _hashTried = true;
            if (status.Size <= context.MaxHashBytes)
            {
                context.CountHashed();
                if (context.Hasher.TryHash(path) is { } h && h.Status.Inode == status.Inode)
                {
                    _hashes = (h.Md5, h.Sha256);
                }
            }
        }
        return _hashes;
    }

    private string? Sha1()
    {
        if (!_sha1Tried)
        {
            _sha1Tried = true;
            if (status.Size <= context.MaxHashBytes)
            {
                try
                {
                    using var stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite | FileShare.Delete, Options = FileOptions.SequentialScan });
                    _sha1 = Convert.ToHexStringLower(SHA1.HashData(stream));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    context.Error(path, e.Message);
                }
            }
        }
        return _sha1;
    }
}
