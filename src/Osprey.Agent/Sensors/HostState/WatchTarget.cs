namespace Osprey.Agent.Sensors.HostState;

/// <summary>
/// Something an inotify-based sensor watches: a directory whose entries the filter accepts, or one file
/// (watched itself for writes and through its directory for creation, deletion and replacement).
/// </summary>
public sealed record WatchTarget
{
    private WatchTarget(string path, bool isFile, Func<string, bool> accepts)
    {
        Path = path;
        IsFile = isFile;
        Accepts = accepts;
    }

    /// <summary>Absolute path of the directory or the file.</summary>
    public string Path { get; }

    public bool IsFile { get; }

    /// <summary>For a directory: which entry names matter.</summary>
    public Func<string, bool> Accepts { get; }

    /// <summary>The directory holding a file target, or the directory itself.</summary>
    public string Directory => IsFile ? System.IO.Path.GetDirectoryName(Path) ?? "/" : Path;

    public static WatchTarget ForDirectory(string path, Func<string, bool> accepts) =>
        new(System.IO.Path.TrimEndingDirectorySeparator(path), false, accepts);

    public static WatchTarget ForFile(string path)
    {
        var name = System.IO.Path.GetFileName(path);
        return new(path, true, n => string.Equals(n, name, StringComparison.Ordinal));
    }
}
