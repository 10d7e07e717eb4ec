using Osprey.Agent.Interop;
using Osprey.Agent.Sensors.Processes;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Tasks;

/// <summary>
/// "terminate-process": kills (SIGKILL) every process named by PID, by UniquePID, or whose executable has one of the
/// given hashes. Each is signalled through a pidfd opened before its start time is checked again, so a PID that now
/// belongs to another process is never signalled: a UniquePID whose process is gone matches nothing. PID 1 and the
/// agent itself are refused.
/// </summary>
internal sealed class TerminateProcessExecutor : ITaskExecutor
{
    private const int Esrch = 3;
    private const int Eperm = 1;

    public string Type => "terminate-process";

    public Task ExecuteAsync(TaskRun run, CancellationToken cancellationToken)
    {
        var p = run.Definition.TerminateProcess ?? throw new TaskFailedException(22, "the task has no terminate-process parameters");
        if (p.Pids.Count + p.UniquePids.Count + p.Md5.Count + p.Sha256.Count == 0)
        {
            throw new TaskFailedException(22, "name at least one PID, UniquePID or executable hash");
        }
        var result = new TerminateProcessResult();
        run.Report.TerminateProcess = result;
        var identity = run.Services.Processes.Identity;
        foreach (var pid in p.Pids)
        {
            var stat = ProcFs.ReadStat(pid);
            if (stat is null)
            {
                result.Processes.Add(new TerminatedProcess { Pid = pid, ErrorCode = Esrch });
                run.AddError(pid.ToString(System.Globalization.CultureInfo.InvariantCulture), Esrch, "no such process");
                continue;
            }
            Kill(run, result, pid, stat.StartTicks);
        }
        if (p.UniquePids.Count > 0 || p.Md5.Count > 0 || p.Sha256.Count > 0)
        {
            var wanted = p.UniquePids.ToHashSet(StringComparer.Ordinal);
            var md5 = p.Md5.Select(h => h.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
            var sha256 = p.Sha256.Select(h => h.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
            var found = new HashSet<string>(StringComparer.Ordinal);
            foreach (var pid in ProcFs.ListPids())
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (ProcFs.ReadStat(pid) is not { } stat)
                {
                    continue;
                }
                var uniquePid = identity.UniquePidOf(pid, stat.StartTicks);
                var byId = wanted.Contains(uniquePid);
                var byHash = false;
                if (!byId && (md5.Count > 0 || sha256.Count > 0) && run.Services.Hasher.TryHash($"{ProcFs.Root}/{pid}/exe") is { } hashes)
                {
                    byHash = md5.Contains(hashes.Md5) || sha256.Contains(hashes.Sha256);
                }
                if (byId || byHash)
                {
                    found.Add(uniquePid);
                    Kill(run, result, pid, stat.StartTicks);
                }
            }
            foreach (var missing in wanted.Except(found))
            {
                result.Processes.Add(new TerminatedProcess { UniquePid = missing, ErrorCode = Esrch });
                run.AddError(missing, Esrch, "no running process has this UniquePID (it has exited; its PID may now be another process's)");
            }
        }
        if (result.Processes.Count > 0 && result.Processes.All(x => x.ErrorCode != 0))
        {
            run.Report.ReturnCode = result.Processes[0].ErrorCode;
        }
        return Task.CompletedTask;
    }

    private static void Kill(TaskRun run, TerminateProcessResult result, int pid, long startTicks)
    {
        var identity = run.Services.Processes.Identity;
        var entry = new TerminatedProcess { Pid = pid, UniquePid = identity.UniquePidOf(pid, startTicks) };
        if (ProcFs.ReadLink($"{ProcFs.Root}/{pid}/exe") is { } exe)
        {
            entry.Path = exe;
        }
        if (run.Services.Hasher.TryHash($"{ProcFs.Root}/{pid}/exe") is { } hashes)
        {
            (entry.Md5, entry.Sha256) = (hashes.Md5, hashes.Sha256);
        }
        result.Processes.Add(entry);
        if (pid == 1 || pid == Environment.ProcessId)
        {
            entry.ErrorCode = Eperm;
            run.AddError(entry.UniquePid, Eperm, pid == 1 ? "refusing to kill init (PID 1)" : "refusing to kill the agent itself");
            return;
        }
        var pidfd = ProcessControl.PidfdOpen(pid, out var errno);
        if (pidfd < 0)
        {
            entry.ErrorCode = errno;
            run.AddError(entry.UniquePid, errno, $"the process could not be opened (errno {errno})");
            return;
        }
        try
        {
            // The pidfd holds this PID's current process; if its start time is not the one matched, it is another.
            if (ProcFs.ReadStat(pid) is not { } now || now.StartTicks != startTicks)
            {
                entry.ErrorCode = Esrch;
                run.AddError(entry.UniquePid, Esrch, "the process exited before it was signalled");
                return;
            }
            entry.ErrorCode = ProcessControl.PidfdSignal(pidfd, ProcessControl.SigKill);
            if (entry.ErrorCode != 0)
            {
                run.AddError(entry.UniquePid, entry.ErrorCode, $"the process could not be killed (errno {entry.ErrorCode})");
            }
        }
        finally
        {
            ProcessControl.CloseFd(pidfd);
        }
    }
}
