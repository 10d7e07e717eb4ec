using Microsoft.Extensions.Logging;

namespace Osprey.Agent.Sensors.Network;

/// <summary>Log messages of the network and DNS sensors (event IDs 3000–3099).</summary>
internal static partial class NetworkLog
{
    [LoggerMessage(3001, LogLevel.Warning, "sock_diag refuses to list {Family} {Protocol} sockets ({Reason}); they are not watched")]
    public static partial void CategoryRefused(this ILogger logger, string family, string protocol, string reason);

    [LoggerMessage(3002, LogLevel.Debug, "sock_diag listing of {Family} {Protocol} sockets was incomplete ({Reason}); closed sockets are kept until a complete one")]
    public static partial void ListingIncomplete(this ILogger logger, string family, string protocol, string reason);

    [LoggerMessage(3003, LogLevel.Warning, "{Count} new sockets were not tracked: more than {Max} sockets exist (network.maxTrackedSockets)")]
    public static partial void TooManySockets(this ILogger logger, int count, int max);

    [LoggerMessage(3004, LogLevel.Error, "The {Sensor} sensor failed")]
    public static partial void SensorFailed(this ILogger logger, string sensor, Exception exception);

    [LoggerMessage(3005, LogLevel.Debug, "Network poll: {Sockets} sockets tracked, {New} new, {Owners} owners cached, {Scans} /proc scans so far")]
    public static partial void Polled(this ILogger logger, int sockets, int @new, int owners, long scans);

    [LoggerMessage(3010, LogLevel.Warning, "The DNS capture socket's receive buffer stays at the system limit ({Reason})")]
    public static partial void ReceiveBufferNotRaised(this ILogger logger, string reason);

    [LoggerMessage(3011, LogLevel.Warning, "The DNS capture socket failed to receive ({Reason}); further failures are not logged until a packet arrives")]
    public static partial void CaptureFailed(this ILogger logger, string reason);
}
