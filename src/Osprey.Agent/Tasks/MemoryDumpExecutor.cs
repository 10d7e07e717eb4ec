using System.Globalization;
using System.Runtime.InteropServices;
using Osprey.Agent.Forensics;
using Osprey.Agent.Interop;
using Osprey.Agent.Sensors.Processes;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Tasks;

/// <summary>
/// "memory-dump": a process, named by PID and/or UniquePID (a UniquePID whose process has exited matches nothing,
/// even if its PID now belongs to another), dumped as an ELF core file into the spool directory while its threads are
/// stopped, then uploaded into Storage and removed. The dump is never held in memory.
/// </summary>
internal sealed class MemoryDumpExecutor : ITaskExecutor
{
    private const long DefaultMaxBytes = 1L << 30;
    private const int Esrch = 3;

    public string Type => "memory-dump";

    public async Task ExecuteAsync(TaskRun run, CancellationToken cancellationToken)
    {
        var p = run.Definition.MemoryDump ?? throw new TaskFailedException(22, "the task has no memory-dump parameters");
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            throw new TaskFailedException(95, $"unsupported here: memory dumps are written for x86-64, this is {RuntimeInformation.ProcessArchitecture}");
        }
        var (pid, stat) = Target(run, p);
        if (pid == Environment.ProcessId)
        {
            throw new TaskFailedException(1, "the agent does not dump itself (a process cannot stop its own threads to read them)");
        }
        var identity = run.Services.Processes.Identity;
        var result = new MemoryDumpResult
        {
            Pid = pid,
            UniquePid = identity.UniquePidOf(pid, stat.StartTicks),
            ProcessPath = ProcFs.ReadLink($"{ProcFs.Root}/{pid}/exe") ?? "",
        };
        result.ProcessName = result.ProcessPath.Length > 0 ? Path.GetFileName(result.ProcessPath) : stat.Comm;
        var spool = Path.Combine(run.Services.SpoolDirectory, string.Create(CultureInfo.InvariantCulture, $"{run.Definition.TaskId}-{pid}.core"));
        try
        {
            var outcome = await CoreDump.WriteAsync(pid, stat.StartTicks, spool, p.MaxBytes > 0 ? (long)Math.Min(p.MaxBytes, long.MaxValue) : DefaultMaxBytes, cancellationToken)
                .ConfigureAwait(false);
            (result.Segments, result.Threads, result.Registers, result.MemoryBytes, result.Truncated) =
                ((uint)outcome.Segments, (uint)outcome.Threads, outcome.Registers, (ulong)outcome.MemoryBytes, outcome.Truncated);
            result.Skipped.AddRange(outcome.Skipped);
            using var core = DiskImageExecutor.OpenReadOnly(spool);
            var name = string.Create(CultureInfo.InvariantCulture, $"core.{result.ProcessName}.{pid}");
            result.Dump = await StoredFiles.UploadAsync(run, core, RandomAccess.GetLength(core), name, "memory-dump", cancellationToken).ConfigureAwait(false);
            run.Report.MemoryDump = result;
        }
        catch (UnauthorizedAccessException e)
        {
            throw new TaskFailedException(13, $"the memory of process {pid} cannot be read: {e.Message}", e);
        }
        catch (IOException e) when (!File.Exists($"{ProcFs.Root}/{pid}/stat"))
        {
            throw new TaskFailedException(Esrch, $"process {pid} exited while it was dumped", e);
        }
        finally
        {
            File.Delete(spool);
        }
    }

    private static (int Pid, ProcStat Stat) Target(TaskRun run, MemoryDumpParams p)
    {
        var identity = run.Services.Processes.Identity;
        if (p.Pid > 0)
        {
            var stat = ProcFs.ReadStat(p.Pid) ?? throw new TaskFailedException(Esrch, $"no process has PID {p.Pid}");
            if (p.UniquePid.Length > 0 && !string.Equals(identity.UniquePidOf(p.Pid, stat.StartTicks), p.UniquePid, StringComparison.OrdinalIgnoreCase))
            {
                throw new TaskFailedException(Esrch, $"PID {p.Pid} is not the process with UniquePID {p.UniquePid} (that one has exited; its PID is now another process's); nothing dumped");
            }
            return (p.Pid, stat);
        }
        if (p.UniquePid.Length == 0)
        {
            throw new TaskFailedException(22, "name the process by its PID or its UniquePID");
        }
        foreach (var pid in ProcFs.ListPids())
        {
            if (ProcFs.ReadStat(pid) is { } stat && string.Equals(identity.UniquePidOf(pid, stat.StartTicks), p.UniquePid, StringComparison.OrdinalIgnoreCase))
            {
                return (pid, stat);
            }
        }
        throw new TaskFailedException(Esrch, $"no running process has UniquePID {p.UniquePid} (it has exited)");
    }
}
