namespace Osprey.Detection.Yara;

/// <summary>What a file and directory scan covers and how many threads scan.</summary>
public sealed record YaraTreeOptions
{
    /// <summary>Absolute paths of files and directories.</summary>
    public required IReadOnlyList<string> Paths { get; init; }

    /// <summary>Descend into subdirectories (otherwise only the files directly in a named directory).</summary>
    public bool Recursive { get; init; } = true;

    /// <summary>Absolute paths left out with everything under them.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>Files larger than this are skipped and reported (0: no limit).</summary>
    public long MaxFileSize { get; init; }

    /// <summary>Scanning threads (the walk runs on the calling thread besides them).</summary>
    public int Threads { get; init; } = 1;

    public YaraScanSettings Scan { get; init; } = new();
}
