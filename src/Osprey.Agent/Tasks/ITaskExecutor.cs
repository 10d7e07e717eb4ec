namespace Osprey.Agent.Tasks;

/// <summary>Carries out one type of task and fills the report's result.</summary>
internal interface ITaskExecutor
{
    /// <summary>The task type, as TaskDefinition.type names it ("run-process").</summary>
    string Type { get; }

    /// <summary>
    /// Runs the task. A failure of the whole task throws <see cref="TaskFailedException"/>; failures on single objects go
    /// into the result's or the report's errors. Cancellation (operator cancel or timeout) is through the token.
    /// </summary>
    Task ExecuteAsync(TaskRun run, CancellationToken cancellationToken);
}
