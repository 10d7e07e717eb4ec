namespace Osprey.Agent.Tasks.IocScan;

/// <summary>"ioc-scan": the <see cref="IocScanner"/> run with the agent's process table, hasher and user directory.</summary>
internal sealed class IocScanExecutor : ITaskExecutor
{
    public string Type => "ioc-scan";

    public Task ExecuteAsync(TaskRun run, CancellationToken cancellationToken)
    {
        var p = run.Definition.IocScan ?? throw new TaskFailedException(22, "the task has no ioc-scan parameters");
        var services = run.Services;
        run.Report.IocScan = new IocScanner(services.Processes, services.Hasher, services.Users).Scan(p, run.AddError, cancellationToken);
        return Task.CompletedTask;
    }
}
