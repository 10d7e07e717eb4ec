using Osprey.Agent.Prevention;

namespace Osprey.Agent.Tasks;

/// <summary>"prevention": replaces the enforced prevention rule set with the task's, as a whole.</summary>
internal sealed class PreventionExecutor : ITaskExecutor
{
    public string Type => "prevention";

    public Task ExecuteAsync(TaskRun run, CancellationToken cancellationToken)
    {
        var p = run.Definition.Prevention ?? throw new TaskFailedException(22, "the task has no prevention parameters");
        if (p.Policy is null)
        {
            throw new TaskFailedException(22, "the task carries no rule set");
        }
        var engine = run.Services.Prevention ?? throw new TaskFailedException(95, "prevention is not available in this agent");
        try
        {
            run.Report.Prevention = engine.Apply(p.Policy);
        }
        catch (ArgumentException e)
        {
            throw new TaskFailedException(22, e.Message);
        }
        catch (PreventionUnavailableException e)
        {
            throw new TaskFailedException(95, $"prevention cannot be enforced on this host: {e.Message}");
        }
        run.Report.Errors.AddRange(run.Report.Prevention.RejectedRules);
        return Task.CompletedTask;
    }
}
