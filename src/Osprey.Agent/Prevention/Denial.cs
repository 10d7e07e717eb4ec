using System.Globalization;
using Osprey.Agent.Interop;
using Osprey.Agent.Sensors.Hashing;
using Osprey.Agent.Sensors.Processes;
using Osprey.Contracts.Prevention;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Prevention;

/// <summary>
/// What a rule stopped (or, in audit mode, let through), captured while the permission event was pending so the
/// attempting process is still the one that asked; turned into telemetry after the answer.
/// </summary>
internal sealed class Denial(
    PreventionMatch match,
    PreventionTarget target,
    bool blocked,
    string path,
    FileHashes? hashes,
    FileStatus status,
    string? interpreter,
    ProcessInfo? process,
    ProcessInfo? parent,
    ProcessTable processes)
{
    private readonly string _fileId = ProcessEventFactory.FileIdOf(status.Device, status.Inode);

    public Event ToEvent(long timeUs)
    {
        var file = ProcessTable.FileRefOf(path, hashes);
        if (hashes is null)
        {
            file.Size = status.Size;
            file.ModifiedUs = status.ModifyUs;
        }
        var e = new Event { TimeUs = timeUs, ParentUniquePid = parent?.UniquePid ?? process?.ParentUniquePid ?? "" };
        if (process is not null)
        {
            e.Process = ProcessTable.Ref(process);
            e.User = processes.UserRefOf(process.Uid);
        }
        var parentRef = parent is null ? null : ProcessTable.Ref(parent);
        if (target == PreventionTarget.Documents)
        {
            e.Type = EventType.DocumentBlocked;
            e.DocumentBlocked = new DocumentBlockedEvent
            {
                File = file,
                FileId = _fileId,
                RuleId = match.Rule.RuleId,
                Mode = match.Rule.Mode,
                MatchedBy = match.MatchedBy,
                ApplicationCommandLine = process?.CommandLine ?? "",
            };
            if (process?.ExePath is { } application)
            {
                e.DocumentBlocked.Application = ProcessTable.FileRefOf(application, process.Executable);
            }
            if (parentRef is not null)
            {
                e.DocumentBlocked.Parent = parentRef;
            }
            return e;
        }
        e.Type = EventType.ExecutionBlocked;
        var blockedEvent = new ExecutionBlockedEvent
        {
            File = file,
            FileId = _fileId,
            RuleId = match.Rule.RuleId,
            Mode = match.Rule.Mode,
            PreventionTarget = target,
            MatchedBy = match.MatchedBy,
            ProcessStatus = blocked ? "blocked" : "allowed",
            ParentPid = process?.ParentPid ?? 0,
            SessionId = process is null ? "" : process.Session.ToString(CultureInfo.InvariantCulture),
            // A denied execve never reaches the point where its arguments are visible; a script opened by its
            // interpreter is the interpreter's own command line.
            AttemptedCommandLine = interpreter is not null && process is not null && process.ExePath == interpreter ? process.CommandLine : path,
        };
        if (interpreter is not null)
        {
            blockedEvent.Interpreter = ProcessTable.FileRefOf(interpreter, null);
        }
        if (parentRef is not null)
        {
            blockedEvent.Parent = parentRef;
        }
        e.ExecutionBlocked = blockedEvent;
        return e;
    }
}
