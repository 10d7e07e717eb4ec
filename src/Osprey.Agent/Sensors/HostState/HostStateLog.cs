using Microsoft.Extensions.Logging;

namespace Osprey.Agent.Sensors.HostState;

/// <summary>Log messages of the host-state sensors (event IDs 3500–3599).</summary>
internal static partial class HostStateLog
{
    [LoggerMessage(EventId = 3500, Level = LogLevel.Error, Message = "Sensor {Sensor} failed")]
    public static partial void SensorFailed(ILogger logger, string sensor, Exception exception);

    [LoggerMessage(EventId = 3501, Level = LogLevel.Warning, Message = "Sensor {Sensor}: the inotify watch limit (fs.inotify.max_user_watches) is reached; some paths are not watched")]
    public static partial void WatchLimitReached(ILogger logger, string sensor);

    [LoggerMessage(EventId = 3502, Level = LogLevel.Warning, Message = "Sensor {Sensor} lost events: {Reason}")]
    public static partial void EventsLost(ILogger logger, string sensor, string reason);

    [LoggerMessage(EventId = 3503, Level = LogLevel.Debug, Message = "Sensor {Sensor} skipped {Path}: {Reason}")]
    public static partial void Skipped(ILogger logger, string sensor, string path, string reason);

    [LoggerMessage(EventId = 3504, Level = LogLevel.Warning, Message = "Boot sensor cannot keep its state in {Path}")]
    public static partial void BootStateNotWritten(ILogger logger, string path, Exception exception);
}
