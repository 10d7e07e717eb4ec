using Osprey.Agent.Quarantine;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Tasks;

/// <summary>
/// "quarantine": moves each named file into the encrypted quarantine store (or copies it, with keep_original); when the
/// selector also gives a hash, only a file whose contents have it. Each file is quarantined whole or not at all.
/// </summary>
internal sealed class QuarantineExecutor : ITaskExecutor
{
    public const int MaxObjects = 1000;

    public string Type => "quarantine";

    public Task ExecuteAsync(TaskRun run, CancellationToken cancellationToken)
    {
        var p = run.Definition.Quarantine ?? throw new TaskFailedException(22, "the task has no quarantine parameters");
        if (p.Objects.Count is 0 or > MaxObjects)
        {
            throw new TaskFailedException(22, $"name between 1 and {MaxObjects} files");
        }
        var result = new QuarantineResult();
        run.Report.Quarantine = result;
        foreach (var selector in p.Objects)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var error = QuarantineOutcomes.Attempt(selector.Path, () =>
            {
                if (TaskPaths.Problem(selector.Path) is { } problem)
                {
                    throw new QuarantineException(22, problem);
                }
                result.Entries.Add(run.Services.Quarantine.Add(new QuarantineStore.AddRequest
                {
                    Path = selector.Path,
                    KeepOriginal = p.KeepOriginal,
                    Md5 = selector.Md5,
                    Sha256 = selector.Sha256,
                    Template = new QuarantineEntry { AgentId = run.Report.AgentId, TaskId = run.Definition.TaskId, QuarantinedUs = run.Services.NowUs() },
                    Describe = (status, path) => run.Services.ProcessFacts.MetadataOf(status, path),
                }, cancellationToken));
            });
            if (error is not null)
            {
                result.Errors.Add(error);
                run.Report.Errors.Add(error);
            }
        }
        if (result.Entries.Count == 0)
        {
            run.Report.ReturnCode = result.Errors[0].Code;
        }
        return Task.CompletedTask;
    }
}
