using System.Runtime.Versioning;

namespace Osprey.Contracts.Security;

/// <summary>Writes files readable by their owner only, atomically (temp file, fsync, rename).</summary>
[SupportedOSPlatform("linux")]
public static class SecureFile
{
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> content)
    {
        var temp = path + ".tmp";
        var options = new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        using (var stream = new FileStream(temp, options))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}
