using Osprey.Agent.Response.Isolation;

namespace Osprey.Agent.Tasks;

/// <summary>"release": ends network isolation (and forgets it, so it is not applied again at the next start).</summary>
internal sealed class ReleaseExecutor : ITaskExecutor
{
    public string Type => "release";

    public async Task ExecuteAsync(TaskRun run, CancellationToken cancellationToken)
    {
        var reason = run.Definition.Release?.Reason is { Length: > 0 } given ? given : "no reason given";
        var isolation = run.Services.Isolation ?? throw new TaskFailedException(95, "network isolation is not available in this agent");
        try
        {
            run.Report.Release = await isolation.ReleaseAsync($"task {run.Definition.TaskId} ({reason})", cancellationToken).ConfigureAwait(false);
        }
        catch (IsolationException e)
        {
            run.Report.Release = new() { State = isolation.State, Error = e.Message };
            throw new TaskFailedException(5, e.Message, e);
        }
    }
}
