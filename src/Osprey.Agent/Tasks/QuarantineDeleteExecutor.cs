using Osprey.Contracts.V1;

namespace Osprey.Agent.Tasks;

/// <summary>"quarantine-delete": removes each entry from the quarantine store for good (a damaged entry too).</summary>
internal sealed class QuarantineDeleteExecutor : ITaskExecutor
{
    public string Type => "quarantine-delete";

    public Task ExecuteAsync(TaskRun run, CancellationToken cancellationToken)
    {
        var p = run.Definition.QuarantineDelete ?? throw new TaskFailedException(22, "the task has no quarantine-delete parameters");
        var result = new QuarantineDeleteResult();
        run.Report.QuarantineDelete = result;
        QuarantineOutcomes.ForEachId(run, p.QuarantineIds, result.Items, (id, outcome) => outcome.Path = run.Services.Quarantine.Delete(id)?.OriginalPath ?? "", cancellationToken);
        return Task.CompletedTask;
    }
}
