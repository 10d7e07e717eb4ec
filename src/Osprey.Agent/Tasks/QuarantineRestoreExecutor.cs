using Osprey.Contracts.V1;

namespace Osprey.Agent.Tasks;

/// <summary>
/// "quarantine-restore": decrypts each entry back to its original path (or into a destination directory) with its
/// original owner, group, mode, extended attributes and times, then removes the entry. An existing file is only
/// replaced with overwrite; an attribute that does not come back is a warning on the item and an error of the report.
/// </summary>
internal sealed class QuarantineRestoreExecutor : ITaskExecutor
{
    public string Type => "quarantine-restore";

    public Task ExecuteAsync(TaskRun run, CancellationToken cancellationToken)
    {
        var p = run.Definition.QuarantineRestore ?? throw new TaskFailedException(22, "the task has no quarantine-restore parameters");
        if (p.Destination.Length > 0 && TaskPaths.Problem(p.Destination) is { } problem)
        {
            throw new TaskFailedException(22, "destination: " + problem);
        }
        var result = new QuarantineRestoreResult();
        run.Report.QuarantineRestore = result;
        QuarantineOutcomes.ForEachId(run, p.QuarantineIds, result.Items,
            (id, outcome) =>
            {
                var restored = run.Services.Quarantine.Restore(id, p.Destination, p.Overwrite, cancellationToken);
                outcome.Path = restored.Path;
                outcome.Warnings.AddRange(restored.Warnings);
            },
            cancellationToken);
        return Task.CompletedTask;
    }
}
