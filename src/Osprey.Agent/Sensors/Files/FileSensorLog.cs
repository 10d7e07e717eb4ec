using Microsoft.Extensions.Logging;

namespace Osprey.Agent.Sensors.Files;

/// <summary>The file sensor's log messages (event IDs 3100–3119).</summary>
internal static partial class FileSensorLog
{
    [LoggerMessage(EventId = 3100, Level = LogLevel.Information, Message = "File sensor watching {Count} filesystems: {Filesystems}")]
    public static partial void Watching(ILogger logger, int count, string filesystems);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "File sensor cannot watch {MountPoint} ({FsType}): {Reason}")]
    public static partial void CannotWatch(ILogger logger, string mountPoint, string fsType, string reason);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Debug, Message = "File sensor skips {MountPoint} ({FsType}): {Reason}")]
    public static partial void Skipping(ILogger logger, string mountPoint, string fsType, string reason);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Warning, Message = "fanotify queue overflowed: file events were lost ({Count} times so far)")]
    public static partial void QueueOverflow(ILogger logger, long count);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Warning, Message = "Skipped malformed fanotify data ({Count} times so far): {Reason}")]
    public static partial void MalformedRecord(ILogger logger, long count, string reason);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Error, Message = "File sensor failed: {Reason}")]
    public static partial void Failed(ILogger logger, string reason);

    [LoggerMessage(EventId = 3106, Level = LogLevel.Debug, Message = "Could not resolve a file event's directory on {MountPoint}: {Reason}")]
    public static partial void Unresolved(ILogger logger, string mountPoint, string reason);

    [LoggerMessage(EventId = 3107, Level = LogLevel.Warning, Message = "File sensor watches {MountPoint} with a mount mark: only writes are seen there, not creates, deletes or renames ({Reason})")]
    public static partial void MountMarkOnly(ILogger logger, string mountPoint, string reason);
}
