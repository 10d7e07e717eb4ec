using Osprey.Agent.Interop;

namespace Osprey.Agent.Sensors.Files;

/// <summary>
/// File create, modify, delete and rename events from fanotify filesystem marks in FID mode (Linux 5.17+):
/// one reader thread drains the kernel queue and resolves paths, one processor thread hashes and emits.
/// </summary>
/// <param name="excludedPaths">Trees never recorded in addition to <c>AgentOptions.Files.ExcludedPaths</c> (the agent's own state directory).</param>
/// <param name="options">Tuning; the defaults when null.</param>
public sealed class FileSensor(IReadOnlyList<string>? excludedPaths = null, FileSensorOptions? options = null) : ISensor
{
    private const string MountInfoPath = "/proc/self/mountinfo";
    private const int ReadBufferBytes = 64 * 1024;
    private const int PollMs = 200;
    private static readonly TimeSpan ReplanDelay = TimeSpan.FromMilliseconds(500);

    private readonly IReadOnlyList<string> _excludedPaths = excludedPaths ?? [];
    private readonly FileSensorOptions _options = options ?? new FileSensorOptions();

    public string Name => "file";

    public async Task RunAsync(SensorContext context, CancellationToken cancellationToken)
    {
        var problems = _options.Validate();
        if (problems.Count > 0)
        {
            Fail(context, string.Join("; ", problems));
            return;
        }
        var filter = new PathFilter(context.Options.Files.Paths, context.Options.Files.ExcludedPaths.Concat(_excludedPaths));
        using var group = FanotifyGroup.Create(out var unsupported);
        if (group is null)
        {
            context.Health.SetState(SensorState.Unsupported, unsupported);
            return;
        }
        var markProblems = group.Apply(Plan(filter, context), context.Logger);
        if (group.Filesystems.Count == 0)
        {
            var why = markProblems.Count > 0 ? string.Join("; ", markProblems) : "no local filesystem of a watched type holds them";
            context.Health.SetState(SensorState.Unsupported, $"no filesystem under the configured paths can be watched: {why}");
            return;
        }
        FileSensorLog.Watching(context.Logger, group.Filesystems.Count, string.Join(", ", group.Filesystems));

        var queue = new HandoffQueue<FileChange>(_options.QueueCapacity);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var processor = new FileChangeProcessor(context, _options);
        var reader = new FanotifyReader(context, group.Find, filter, _options, change => queue.Add(change, stop.Token));
        context.Health.SetState(SensorState.Running);

        // Both stages make blocking system calls, so each has its own thread; the bounded queue between them
        // makes the reader wait when the processor is behind, and the kernel's queue (with its overflow
        // notice) absorbs the rest.
        var processing = Task.Factory.StartNew(() => Process(queue, processor, stop), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        string? failure = null;
        try
        {
            failure = await Task.Factory.StartNew(() => Read(group, reader, filter, context, _options.ReadDelay, stop.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)
                .ConfigureAwait(false);
        }
        finally
        {
            queue.CompleteAdding();
            failure ??= await processing.ConfigureAwait(false);
        }
        if (failure is not null)
        {
            Fail(context, failure);
            return;
        }
        context.Health.SetState(SensorState.Stopped);
    }

    /// <summary>
    /// The reader thread: drains the group, and follows the mount table so filesystems mounted later are marked
    /// too (changes come in bursts, so it re-plans at most every <see cref="ReplanDelay"/>). Returns why it
    /// failed, or null when cancelled.
    /// </summary>
    private static string? Read(FanotifyGroup group, FanotifyReader reader, PathFilter filter, SensorContext context, TimeSpan delay, CancellationToken cancellationToken)
    {
        if (delay > TimeSpan.Zero)
        {
            cancellationToken.WaitHandle.WaitOne(delay);
        }
        var buffer = new byte[ReadBufferBytes];
        using var mountTable = FileHandles.Open(MountInfoPath, FileHandles.OpenReadOnly, out _);
        long? replanAt = null;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                Fanotify.Wait(group.Handle, mountTable, PollMs, out var eventsReady, out var mountsChanged, out var errno);
                if (errno != 0)
                {
                    return $"poll on the fanotify group failed: {Errno.Describe(errno)}";
                }
                var now = context.Time.GetTimestamp();
                if (mountsChanged)
                {
                    replanAt ??= now + (long)(ReplanDelay.TotalSeconds * context.Time.TimestampFrequency);
                }
                if (replanAt is { } due && now >= due)
                {
                    replanAt = null;
                    group.Apply(Plan(filter, context), context.Logger);
                }
                if (!eventsReady)
                {
                    continue;
                }
                var read = Fanotify.Read(group.Handle, buffer, out errno);
                if (read < 0)
                {
                    return $"reading the fanotify group failed: {Errno.Describe(errno)}";
                }
                reader.Process(buffer.AsSpan(0, read));
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            // A defect or an unreadable mount table must stop this sensor, not the agent.
            return $"reading file events failed: {e.GetType().Name}: {e.Message}";
        }
        return null;
    }

    private static WatchPlan Plan(PathFilter filter, SensorContext context)
    {
        var plan = WatchPlan.For(MountEntry.ParseAll(File.ReadAllText(MountInfoPath)), filter);
        foreach (var (mount, reason) in plan.Skipped)
        {
            FileSensorLog.Skipping(context.Logger, mount.MountPoint, mount.FsType, reason);
        }
        return plan;
    }

    /// <summary>The processor thread: runs until the reader is done and the queue is empty; returns why it failed, or null.</summary>
    private static string? Process(HandoffQueue<FileChange> queue, FileChangeProcessor processor, CancellationTokenSource stop)
    {
        try
        {
            ProcessUntilDone(queue, processor);
            return null;
        }
        catch (Exception e)
        {
            // A defect here must stop this sensor (the reader would wait on a full queue forever), not the agent.
            stop.Cancel();
            return $"processing file events failed: {e.GetType().Name}: {e.Message}";
        }
    }

    private static void ProcessUntilDone(HandoffQueue<FileChange> queue, FileChangeProcessor processor)
    {
        while (true)
        {
            var wait = processor.NextDue() is { } due && due < TimeSpan.FromMilliseconds(PollMs) ? due : TimeSpan.FromMilliseconds(PollMs);
            if (queue.TryTake(out var change, wait))
            {
                processor.Handle(change);
                // Drain what is queued, but let due files out between changes so a busy queue cannot starve them.
                while (queue.TryTake(out change))
                {
                    processor.Handle(change);
                    processor.FlushDue();
                }
            }
            processor.FlushDue();
            if (queue.IsCompleted)
            {
                break;
            }
        }
        processor.FlushAll();
    }

    private static void Fail(SensorContext context, string reason)
    {
        FileSensorLog.Failed(context.Logger, reason);
        context.Health.SetState(SensorState.Failed, reason);
    }
}
