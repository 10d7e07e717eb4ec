namespace Osprey.Agent.Tasks;

/// <summary>The executors this agent has; a task of another type is reported failed as unsupported.</summary>
internal static class TaskExecutors
{
    public static IReadOnlyList<ITaskExecutor> All() =>
    [
        new RunProcessExecutor(),
        new TerminateProcessExecutor(),
        new ProcessListExecutor(),
        new DirListExecutor(),
        new DeleteFileExecutor(),
        new IsolateExecutor(),
        new ReleaseExecutor(),
    ];
}
