using Microsoft.Extensions.Logging;

namespace Osprey.Agent.Sensors.Processes;

/// <summary>Log messages of the process sensor (event IDs 2100-2119).</summary>
internal static partial class ProcessSensorLog
{
    [LoggerMessage(EventId = 2100, Level = LogLevel.Information, Message = "Process sensor reading the proc connector (receive buffer {Bytes} bytes requested)")]
    public static partial void Started(ILogger logger, int bytes);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "Process sensor could not enlarge the proc connector receive buffer (errno {Errno}); bursts may overflow it")]
    public static partial void ReceiveBufferRefused(ILogger logger, int errno);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "Process sensor unsupported: {Reason}")]
    public static partial void Unsupported(ILogger logger, string reason);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Error, Message = "Process sensor failed: {Reason}")]
    public static partial void Failed(ILogger logger, string reason);

    [LoggerMessage(EventId = 2104, Level = LogLevel.Error, Message = "Process sensor enrichment failed")]
    public static partial void WorkerFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2106, Level = LogLevel.Warning, Message = "Process sensor reader could not get real-time priority (errno {RealTimeErrno}) or its nice value (errno {NiceErrno}); short-lived processes may be missed on a loaded host")]
    public static partial void PriorityRefused(ILogger logger, int realTimeErrno, int niceErrno);

    [LoggerMessage(EventId = 2107, Level = LogLevel.Warning, Message = "Process sensor without the kernel exec capture: {Reason}; processes gone before the agent reads /proc will lack their command line")]
    public static partial void ExecCaptureUnavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = 2105, Level = LogLevel.Information, Message = "Process sensor stopped: {Starts} starts ({Partial} partial), {Stops} stops, {Modules} module loads, {Lost} kernel messages lost")]
    public static partial void Stopped(ILogger logger, long starts, long partial, long stops, long modules, long lost);
}
