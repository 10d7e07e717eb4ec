namespace Osprey.Agent.Tasks.IocScan;

/// <summary>The bounds of an IOC scan when the task leaves them at 0, and the most a task may ask for.</summary>
internal static class IocScanDefaults
{
    public const int MaxObjectsPerIndicator = 100;
    public const int MaxObjectsPerIndicatorLimit = 10_000;
    public const int MaxFiles = 200_000;
    public const int MaxFilesLimit = 5_000_000;
    public const int MaxDepth = 16;
    public const int MaxDepthLimit = 64;
    public const long MaxHashBytes = 64L * 1024 * 1024;
    public const int MaxRoots = 64;

    /// <summary>Sockets, processes, accounts, hosts entries and neighbours read at most.</summary>
    public const int MaxListed = 100_000;

    /// <summary>Where files are looked for when an indicator does not pin its own directory: where intruders drop and persist things.</summary>
    public static readonly string[] FileRoots =
        ["/tmp", "/var/tmp", "/dev/shm", "/root", "/home", "/etc", "/opt", "/srv", "/usr/local", "/usr/bin", "/usr/sbin", "/var/spool/cron"];
}
