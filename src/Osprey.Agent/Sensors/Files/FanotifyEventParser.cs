using System.Buffers.Binary;
using Osprey.Agent.Interop;

namespace Osprey.Agent.Sensors.Files;

/// <summary>What parsing one event found.</summary>
internal enum FanotifyParseStatus
{
    /// <summary>A whole, well-formed event.</summary>
    Ok,

    /// <summary>Nothing left in the buffer.</summary>
    End,

    /// <summary>The event's length is usable but one of its records is not: skip <c>length</c> bytes and go on.</summary>
    MalformedEvent,

    /// <summary>The event's own length cannot be trusted: the rest of the buffer is unusable.</summary>
    MalformedBuffer,
}

/// <summary>
/// Reads struct fanotify_event_metadata and the info records that follow it (fanotify(7)), checking every
/// length against the buffer and the event before reading what it covers. It never throws on bad input.
/// </summary>
internal static class FanotifyEventParser
{
    public const int MetadataLength = 24;

    private const byte InfoFid = 1;
    private const byte InfoDirectoryFidName = 2;
    private const byte InfoDirectoryFid = 3;
    private const byte InfoPidFd = 4;
    private const byte InfoOldDirectoryFidName = 10;
    private const byte InfoNewDirectoryFidName = 12;

    private const int InfoHeaderLength = 4;

    // Header, fsid, and file_handle's handle_bytes and handle_type.
    private const int FidRecordMinimum = InfoHeaderLength + 8 + 8;

    /// <summary>Largest entry name (NAME_MAX).</summary>
    private const int MaxName = 255;

    /// <summary>Parses the event at the start of <paramref name="buffer"/>; <paramref name="length"/> is its event_len when that is usable.</summary>
    public static FanotifyParseStatus TryParse(ReadOnlySpan<byte> buffer, out FanotifyEvent parsed, out int length, out string? error)
    {
        parsed = default;
        length = 0;
        error = null;
        if (buffer.IsEmpty)
        {
            return FanotifyParseStatus.End;
        }
        if (buffer.Length < MetadataLength)
        {
            error = $"{buffer.Length} bytes left, less than an event's metadata";
            return FanotifyParseStatus.MalformedBuffer;
        }
        var eventLength = BinaryPrimitives.ReadUInt32LittleEndian(buffer);
        var version = buffer[4];
        var metadataLength = BinaryPrimitives.ReadUInt16LittleEndian(buffer[6..]);
        if (eventLength < MetadataLength || eventLength > (uint)buffer.Length)
        {
            error = $"event_len {eventLength} does not fit the {buffer.Length} bytes left";
            return FanotifyParseStatus.MalformedBuffer;
        }
        length = (int)eventLength;
        if (version != Fanotify.MetadataVersion)
        {
            error = $"metadata version {version}, expected {Fanotify.MetadataVersion}";
            return FanotifyParseStatus.MalformedBuffer;
        }
        if (metadataLength < MetadataLength || metadataLength > eventLength)
        {
            error = $"metadata_len {metadataLength} outside 24..{eventLength}";
            return FanotifyParseStatus.MalformedEvent;
        }

        var mask = BinaryPrimitives.ReadUInt64LittleEndian(buffer[8..]);
        var fd = BinaryPrimitives.ReadInt32LittleEndian(buffer[16..]);
        var pid = BinaryPrimitives.ReadInt32LittleEndian(buffer[20..]);
        var pidFd = -1;
        FanotifyFid obj = default, directory = default, oldDirectory = default, newDirectory = default;
        ReadOnlySpan<byte> name = default, oldName = default, newName = default;

        var records = buffer[metadataLength..length];
        while (!records.IsEmpty)
        {
            if (records.Length < InfoHeaderLength)
            {
                error = $"{records.Length} bytes after the last info record";
                return Malformed(fd, pid, ref parsed, mask, pidFd);
            }
            var type = records[0];
            var recordLength = BinaryPrimitives.ReadUInt16LittleEndian(records[2..]);
            if (recordLength < InfoHeaderLength || recordLength > records.Length)
            {
                error = $"info record of type {type} has length {recordLength}, {records.Length} bytes left";
                return Malformed(fd, pid, ref parsed, mask, pidFd);
            }
            var record = records[..recordLength];
            records = records[recordLength..];
            switch (type)
            {
                case InfoFid:
                case InfoDirectoryFid:
                case InfoDirectoryFidName:
                case InfoOldDirectoryFidName:
                case InfoNewDirectoryFidName:
                    var withName = type is InfoDirectoryFidName or InfoOldDirectoryFidName or InfoNewDirectoryFidName;
                    if (!TryParseFid(record, withName, out var fid, out var entry, out error))
                    {
                        return Malformed(fd, pid, ref parsed, mask, pidFd);
                    }
                    var duplicate = type switch
                    {
                        InfoFid => obj.IsPresent,
                        InfoOldDirectoryFidName => oldDirectory.IsPresent,
                        InfoNewDirectoryFidName => newDirectory.IsPresent,
                        _ => directory.IsPresent,
                    };
                    if (duplicate)
                    {
                        error = $"two info records for the same object (type {type})";
                        return Malformed(fd, pid, ref parsed, mask, pidFd);
                    }
                    if (type == InfoFid)
                    {
                        obj = fid;
                    }
                    else if (type == InfoOldDirectoryFidName)
                    {
                        oldDirectory = fid;
                        oldName = entry;
                    }
                    else if (type == InfoNewDirectoryFidName)
                    {
                        newDirectory = fid;
                        newName = entry;
                    }
                    else
                    {
                        directory = fid;
                        name = entry;
                    }
                    break;
                case InfoPidFd:
                    if (record.Length < InfoHeaderLength + 4)
                    {
                        error = $"pidfd record of {record.Length} bytes";
                        return Malformed(fd, pid, ref parsed, mask, pidFd);
                    }
                    pidFd = BinaryPrimitives.ReadInt32LittleEndian(record[InfoHeaderLength..]);
                    break;
                default:
                    // Record types added by later kernels (error, range, mount) are skipped, not refused.
                    break;
            }
        }

        parsed = new FanotifyEvent
        {
            Mask = mask,
            Fd = fd,
            Pid = pid,
            PidFd = pidFd,
            Object = obj,
            Directory = directory,
            Name = name,
            OldDirectory = oldDirectory,
            OldName = oldName,
            NewDirectory = newDirectory,
            NewName = newName,
        };
        return FanotifyParseStatus.Ok;
    }

    // A malformed event still carries descriptors the caller must close.
    private static FanotifyParseStatus Malformed(int fd, int pid, ref FanotifyEvent parsed, ulong mask, int pidFd)
    {
        parsed = new FanotifyEvent { Mask = mask, Fd = fd, Pid = pid, PidFd = pidFd };
        return FanotifyParseStatus.MalformedEvent;
    }

    private static bool TryParseFid(ReadOnlySpan<byte> record, bool withName, out FanotifyFid fid, out ReadOnlySpan<byte> name, out string? error)
    {
        fid = default;
        name = default;
        error = null;
        if (record.Length < FidRecordMinimum)
        {
            error = $"file ID record of {record.Length} bytes";
            return false;
        }
        var handleBytes = BinaryPrimitives.ReadUInt32LittleEndian(record[12..]);
        if (handleBytes == 0 || handleBytes > FileHandles.MaxHandleBytes || handleBytes > (uint)(record.Length - FidRecordMinimum))
        {
            error = $"file handle of {handleBytes} bytes in a {record.Length}-byte record";
            return false;
        }
        var end = FidRecordMinimum + (int)handleBytes;
        fid = new FanotifyFid(record[InfoHeaderLength..end]);
        if (!withName)
        {
            return true;
        }
        var rest = record[end..];
        var nul = rest.IndexOf((byte)0);
        if (nul < 0)
        {
            error = "entry name without a terminating NUL";
            return false;
        }
        if (nul > MaxName || rest[..nul].IndexOf((byte)'/') >= 0)
        {
            error = "entry name longer than NAME_MAX or containing '/'";
            return false;
        }
        name = rest[..nul];
        return true;
    }
}
