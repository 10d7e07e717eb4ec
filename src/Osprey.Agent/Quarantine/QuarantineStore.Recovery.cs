using Osprey.Agent.Interop;
using Osprey.Agent.Sensors.Files;

namespace Osprey.Agent.Quarantine;

// Start-up recovery: what a crash in the middle of an add leaves behind is undone.
internal sealed partial class QuarantineStore
{
    /// <summary>What <see cref="Recover"/> found and did.</summary>
    public sealed record Recovery(int TemporariesRemoved, int AddsRolledBack, IReadOnlyList<string> Damaged);

    /// <summary>
    /// Removes temporary entries (the agent stopped while writing them: the original was never touched) and undoes a
    /// move the agent stopped between making the copy durable and removing the original. That case is recognised by the
    /// original still being there as the same inode with the same change time; the task that made it was reported
    /// failed ("interrupted"), so the entry goes and the file stays where it was. Damaged entries are listed, not removed.
    /// </summary>
    public Recovery Recover()
    {
        var temporaries = 0;
        foreach (var temporary in System.IO.Directory.EnumerateFiles(Directory, "*" + QuarantineFormat.TemporarySuffix))
        {
            File.Delete(temporary);
            temporaries++;
        }
        var rolledBack = 0;
        var damaged = new List<string>();
        foreach (var id in Ids())
        {
            bool interrupted;
            try
            {
                using var file = Open(id);
                interrupted = IsInterruptedMove(file.Entry);
            }
            catch (QuarantineCorruptException e)
            {
                damaged.Add(e.EntryPath);
                continue;
            }
            if (interrupted)
            {
                Remove(id);
                rolledBack++;
            }
        }
        if (temporaries > 0)
        {
            PosixFile.FsyncDirectory(Directory);
        }
        return new Recovery(temporaries, rolledBack, damaged);
    }

    private static bool IsInterruptedMove(Contracts.V1.QuarantineEntry entry)
    {
        if (!entry.OriginalDeleted || Libc.Stat(entry.OriginalPath, followLinks: false, out _) is not { } status)
        {
            return false;
        }
        return entry.Metadata is { } recorded && recorded.StatusChangedUs == status.ChangeUs && recorded.FileId == FileEventFactory.FileId(status);
    }
}
