using Microsoft.Extensions.Logging;

namespace Osprey.Node.Storage;

public sealed partial class SqliteEventStore
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Error, Message = "Events database commit of {Batches} batches failed")]
    private static partial void LogCommitFailed(ILogger logger, int batches, Exception exception);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Retention dropped partition {Partition}")]
    private static partial void LogPartitionDropped(ILogger logger, string partition);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Moved the event bodies of {Partition} to their own table (events database layout of an earlier build)")]
    private static partial void LogPartitionMigrated(ILogger logger, string partition);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Information, Message = "Indexed the hashes and UniquePIDs of {Partition} by lookup key (events database layout of an earlier build)")]
    private static partial void LogPartitionKeyed(ILogger logger, string partition);
}
