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
        new PreventionExecutor(),
        new GetFileExecutor(),
        new QuarantineExecutor(),
        new QuarantineRestoreExecutor(),
        new QuarantineDeleteExecutor(),
        new ServiceExecutor(),
        new AutorunsExecutor(),
        new DiskImageExecutor(),
        new FileInfoExecutor(),
        new MemoryDumpExecutor(),
        new RamImageExecutor(),
        new IsolateExecutor(),
        new ReleaseExecutor(),
        new IocScan.IocScanExecutor(),
        new YaraScanExecutor(),
    ];
}
