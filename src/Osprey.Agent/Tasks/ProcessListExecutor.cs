using Osprey.Agent.Sensors.Processes;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Tasks;

/// <summary>"process-list": every process in /proc (kernel threads included) with what its start event would carry and its state.</summary>
internal sealed class ProcessListExecutor : ITaskExecutor
{
    public string Type => "process-list";

    public Task ExecuteAsync(TaskRun run, CancellationToken cancellationToken)
    {
        var p = run.Definition.ProcessList ?? new ProcessListParams();
        var result = new ProcessListResult();
        run.Report.ProcessList = result;
        var infos = new Dictionary<int, (ProcessInfo Info, char State)>();
        foreach (var pid in ProcFs.ListPids())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (ProcFs.ReadStat(pid) is { } stat && run.Services.Processes.Read(pid) is { } info)
            {
                infos[pid] = (info, stat.State);
            }
        }
        foreach (var (pid, (info, state)) in infos.OrderBy(i => i.Key))
        {
            var parent = infos.TryGetValue(info.ParentPid, out var up) ? up.Info : null;
            var context = run.Services.ProcessFacts.Context(info, parent, state, p.Environment);
            if (!p.Hashes && context.Process.File is { } file)
            {
                file.Md5 = file.Sha256 = "";
            }
            result.Processes.Add(context);
        }
        return Task.CompletedTask;
    }
}
