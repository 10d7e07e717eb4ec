using Osprey.Agent.Sensors;
using System.Globalization;
using Osprey.Agent.Interop;
using Osprey.Agent.Sensors.Hashing;
using Osprey.Agent.Sensors.Processes;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Sensors.Files;

/// <summary>Turns a resolved change and what is known about the file into a FileCreate/Modify/Delete/Rename event.</summary>
internal sealed class FileEventFactory(ProcessTable processes)
{
    public static readonly string[] CreatedChanges = ["created"];
    public static readonly string[] ContentChanges = ["content"];
    public static readonly string[] DeletedChanges = ["deleted"];

    /// <summary>
    /// <paramref name="status"/> is what is known of the file (null when nothing is: it was already gone);
    /// <paramref name="hashes"/> when it was hashed (its status then wins, being the newest).
    /// </summary>
    public Event Create(EventType type, FileChange change, FileStatus? status, FileHashes? hashes, bool onDisk)
    {
        status = hashes?.Status ?? status;
        var file = ProcessTable.FileRefOf(change.Path, hashes);
        if (hashes is null && status is not null)
        {
            file.Size = status.Size;
            file.CreatedUs = status.BirthUs;
            file.ModifiedUs = status.ModifyUs;
            file.AccessedUs = status.AccessUs;
        }
        var metadata = Metadata(change, status, onDisk);
        var e = new Event { Type = type, TimeUs = change.TimeUs };
        switch (type)
        {
            case EventType.FileCreate:
                e.FileCreate = new FileEvent { File = file, Metadata = metadata, Changes = { CreatedChanges } };
                break;
            case EventType.FileModify:
                e.FileModify = new FileEvent { File = file, Metadata = metadata, Changes = { ContentChanges } };
                break;
            case EventType.FileDelete:
                e.FileDelete = new FileEvent { File = file, Metadata = metadata, Changes = { DeletedChanges } };
                break;
            case EventType.FileRename:
                e.FileRename = new FileRenameEvent { File = file, OldPath = change.OldPath ?? "", Metadata = metadata };
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "not a file event type");
        }
        if (change.Process is { } process)
        {
            e.Process = ProcessTable.Ref(process);
            e.ParentUniquePid = process.ParentUniquePid ?? "";
            e.User = processes.UserRefOf(process.Uid);
        }
        else if (change.Pid > 0)
        {
            // The process exited before the event was read: its PID is all that is left.
            e.Process = new ProcessRef { Pid = change.Pid };
        }
        return e;
    }

    /// <summary>"dev:inode" with dev as stat(2) reports st_dev (glibc's makedev encoding), the same as <c>stat -c %d:%i</c>.</summary>
    public static string FileId(FileStatus status) => ProcessEventFactory.FileIdOf(status.Device, status.Inode);

    /// <summary>The schema's file type names.</summary>
    public static string FileType(FileStatus status) => status.FileType switch
    {
        "block-device" => "block",
        "char-device" => "char",
        var other => other,
    };

    private FileMetadata Metadata(FileChange change, FileStatus? status, bool onDisk)
    {
        var metadata = new FileMetadata();
        if (status is null)
        {
            if (change.IsDirectory)
            {
                metadata.FileType = "directory";
            }
            return metadata;
        }
        metadata.FileId = FileId(status);
        metadata.FileType = FileType(status);
        metadata.Owner = processes.UserRefOf(status.Uid);
        metadata.OwnerGroup = processes.GroupRefOf(status.Gid);
        metadata.Mode = status.Mode & 0xfff;
        metadata.Attributes.AddRange(status.Attributes);
        metadata.HardLinks = status.LinkCount;
        metadata.StatusChangedUs = status.ChangeUs;
        if (!onDisk)
        {
            return metadata;
        }
        var names = ExtendedAttributes.Names(change.Path);
        metadata.ExtendedAttributes.AddRange(names);
        var acl = new List<string>(2);
        if (names.Contains(PosixAcl.AccessAttribute) && ExtendedAttributes.Value(change.Path, PosixAcl.AccessAttribute) is { } access && PosixAcl.ToText(access) is { } accessText)
        {
            acl.Add(accessText);
        }
        if (names.Contains(PosixAcl.DefaultAttribute) && ExtendedAttributes.Value(change.Path, PosixAcl.DefaultAttribute) is { } inherited && PosixAcl.ToText(inherited, "default:") is { } defaultText)
        {
            acl.Add(defaultText);
        }
        metadata.Acl = string.Join(',', acl);
        if (status.IsSymbolicLink)
        {
            try
            {
                metadata.LinkTarget = new FileInfo(change.Path).LinkTarget ?? "";
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return metadata;
    }
}
