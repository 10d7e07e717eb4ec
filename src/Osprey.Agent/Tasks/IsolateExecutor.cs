using Osprey.Agent.Response.Isolation;
using Osprey.Contracts.Isolation;

namespace Osprey.Agent.Tasks;

/// <summary>
/// "isolate": cuts the host off the network except for loopback, its nodes, the proxy and the task's exclusions, until
/// "release" or the release time. A ruleset through which the node cannot be reached is rolled back and the task fails
/// with <c>rolled_back</c> set.
/// </summary>
internal sealed class IsolateExecutor : ITaskExecutor
{
    public string Type => "isolate";

    public async Task ExecuteAsync(TaskRun run, CancellationToken cancellationToken)
    {
        var parameters = run.Definition.Isolate ?? throw new TaskFailedException(22, "the task has no isolate parameters");
        var (rules, problem) = ExclusionRule.From(parameters);
        if (problem is not null)
        {
            throw new TaskFailedException(22, problem);
        }
        var isolation = run.Services.Isolation ?? throw new TaskFailedException(95, "network isolation is not available in this agent");
        try
        {
            var result = await isolation.IsolateAsync(parameters, rules, run.Definition.TaskId, cancellationToken).ConfigureAwait(false);
            run.Report.Isolate = result;
            if (result.RolledBack)
            {
                throw new TaskFailedException(113, result.Error); // EHOSTUNREACH
            }
        }
        catch (IsolationException e)
        {
            run.Report.Isolate = new() { State = isolation.State, Error = e.Message };
            throw new TaskFailedException(5, e.Message, e);
        }
    }
}
