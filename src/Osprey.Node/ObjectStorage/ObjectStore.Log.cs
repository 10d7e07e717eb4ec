namespace Osprey.Node.ObjectStorage;

public sealed partial class ObjectStore
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Debug, Message = "Upload {UploadId} begun: {Sha256}, {Size} bytes, from {Uploader}")]
    private static partial void LogUploadBegun(ILogger logger, string uploadId, string sha256, long size, string uploader);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Debug, Message = "Upload {UploadId} of {Sha256} resumes at {Offset} of {Size} bytes")]
    private static partial void LogUploadResumed(ILogger logger, string uploadId, string sha256, long offset, long size);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Upload {UploadId}: chunk at {Offset} refused, it hashes to {Actual} but was declared {Declared}")]
    private static partial void LogChunkRejected(ILogger logger, string uploadId, long offset, string actual, string declared);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Upload {UploadId} discarded: the object hashes to {Actual}, not the declared {Declared}")]
    private static partial void LogObjectRejected(ILogger logger, string uploadId, string actual, string declared);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Information, Message = "Stored object {Sha256} ({Size} bytes) from {Uploader}")]
    private static partial void LogObjectStored(ILogger logger, string sha256, long size, string uploader);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning, Message = "Evicted object {Sha256} ({Size} bytes, last used {LastAccess:O}) to stay within the capacity of {Capacity} bytes")]
    private static partial void LogEvicted(ILogger logger, string sha256, long size, DateTimeOffset lastAccess, long capacity);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Information, Message = "Upload {UploadId} expired: {Sha256}, {Received} of {Size} bytes, last chunk {LastChunk:O}")]
    private static partial void LogUploadExpired(ILogger logger, string uploadId, string sha256, long received, long size, DateTimeOffset lastChunk);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Warning, Message = "Recorded object {Sha256} of upload {UploadId}, renamed into place before a crash")]
    private static partial void LogRecovered(ILogger logger, string sha256, string uploadId);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Warning, Message = "Removed {Path}: an object file without a record (left by a crash)")]
    private static partial void LogOrphanRemoved(ILogger logger, string path);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Error, Message = "Object {Sha256} had a record but no file; the record is removed")]
    private static partial void LogMissingRemoved(ILogger logger, string sha256);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Error, Message = "An observer of Storage failed on object {Sha256}; the object is stored")]
    private static partial void LogObserverFailed(ILogger logger, string sha256, Exception exception);
}
