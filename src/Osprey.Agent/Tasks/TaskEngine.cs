using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Osprey.Agent.Outbox;
using Osprey.Contracts.Scheduling;
using Osprey.Contracts.Security;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Tasks;

/// <summary>
/// Runs the tasks the node sends: at once, at their start time, or on their cron schedule (device local time), at most
/// <see cref="MaxConcurrent"/> at a time, each bounded by its timeout and stoppable by an operator's cancel. Every run
/// reports "running" when it starts and its outcome when it ends, through the outbox (reports are never dropped). Tasks
/// are kept in the outbox until finished, so an agent restart resumes them; a one-off task interrupted by a restart
/// is reported failed rather than run twice.
/// </summary>
internal sealed partial class TaskEngine(
    EventOutbox outbox, IEnumerable<ITaskExecutor> executors, TaskServices services, string agentId, Func<string> nodeAddress,
    ECParameters? agentKey, Action reportsWaiting, ILogger<TaskEngine> logger)
{
    public const int MaxConcurrent = 4;
    private readonly Dictionary<string, ITaskExecutor> _executors = executors.ToDictionary(e => e.Type, StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _active = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _slots = new(MaxConcurrent, MaxConcurrent);
    private CancellationToken _stopping;

    /// <summary>Resumes the tasks the outbox holds unfinished (after a restart).</summary>
    public void Start(CancellationToken stopping)
    {
        _stopping = stopping;
        foreach (var (definition, started) in outbox.UnfinishedTasks())
        {
            if (started && definition.Schedule?.Kind != ScheduleKind.Cron)
            {
                // It was running when the agent stopped: running it again could repeat what it did.
                Finish(definition, Report(definition, 1, "failed", Errno.Interrupted, "the agent stopped while the task ran; it was not run again"));
                continue;
            }
            Submit(definition);
        }
    }

    /// <summary>Takes a task from the node (the sync loop has stored it in the outbox).</summary>
    public void Submit(TaskDefinition definition)
    {
        var cancel = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
        if (!_active.TryAdd(definition.TaskId, cancel))
        {
            cancel.Dispose();
            return; // already running
        }
        _ = Task.Run(() => RunScheduledAsync(definition, cancel), CancellationToken.None);
    }

    /// <summary>An operator cancelled the task: stop it (it reports "cancelled").</summary>
    public void Cancel(string taskId)
    {
        if (_active.TryGetValue(taskId, out var cancel))
        {
            LogCancelled(logger, taskId);
            cancel.Cancel();
        }
        else if (outbox.UnfinishedTasks().FirstOrDefault(t => t.Definition.TaskId == taskId).Definition is { } waiting)
        {
            Finish(waiting, Report(waiting, 1, "cancelled", 0, "cancelled by an operator before it started"));
        }
    }

    private async Task RunScheduledAsync(TaskDefinition definition, CancellationTokenSource cancel)
    {
        try
        {
            var schedule = definition.Schedule ?? new TaskSchedule();
            if (schedule.Kind == ScheduleKind.Cron)
            {
                await RunRecurringAsync(definition, CronExpression.Parse(schedule.Cron), cancel.Token).ConfigureAwait(false);
                return;
            }
            if (schedule.Kind == ScheduleKind.At)
            {
                var wait = DateTimeOffset.FromUnixTimeMilliseconds(schedule.StartAtUs / 1000) - services.Time.GetUtcNow();
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, services.Time, cancel.Token).ConfigureAwait(false);
                }
            }
            var report = await RunOnceAsync(definition, 1, cancel.Token).ConfigureAwait(false);
            Finish(definition, report);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            if (!_stopping.IsCancellationRequested)
            {
                Finish(definition, Report(definition, 1, "cancelled", 0, "cancelled by an operator"));
            }
        }
        catch (Exception e)
        {
            LogTaskCrashed(logger, definition.TaskId, e);
            Finish(definition, Report(definition, 1, "failed", Errno.Internal, "the agent could not run the task: " + e.Message));
        }
        finally
        {
            _active.TryRemove(definition.TaskId, out _);
            cancel.Dispose();
        }
    }

    private async Task RunRecurringAsync(TaskDefinition definition, CronExpression cron, CancellationToken cancellationToken)
    {
        var run = 0u;
        while (true)
        {
            var now = services.Time.GetLocalNow();
            var next = cron.Next(now.DateTime);
            var end = definition.Schedule.EndAtUs;
            if (next is null || (end > 0 && new DateTimeOffset(next.Value, now.Offset).ToUnixTimeMilliseconds() * 1000 > end))
            {
                Finish(definition, Report(definition, run, "completed", 0, null));
                return;
            }
            var wait = new DateTimeOffset(next.Value, now.Offset) - now;
            await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, services.Time, cancellationToken).ConfigureAwait(false);
            var report = await RunOnceAsync(definition, ++run, cancellationToken).ConfigureAwait(false);
            outbox.AppendReport(report.ToByteArray());
            reportsWaiting();
        }
    }

    /// <summary>One run: reports "running", executes within the timeout, and returns the outcome's report.</summary>
    private async Task<TaskReport> RunOnceAsync(TaskDefinition definition, uint run, CancellationToken cancellationToken)
    {
        var report = Report(definition, run, "running", 0, null);
        report.StartedUs = services.NowUs();
        outbox.MarkTaskStarted(definition.TaskId);
        outbox.AppendReport(report.ToByteArray());
        reportsWaiting();
        LogTaskStarted(logger, definition.TaskId, definition.Type, run);

        if (!_executors.TryGetValue(definition.Type, out var executor))
        {
            return Ended(report, "failed", Errno.Unsupported, $"this agent cannot run '{definition.Type}' tasks");
        }
        byte[]? password = null;
        try
        {
            password = OpenPassword(definition);
        }
        catch (CryptographicException e)
        {
            return Ended(report, "failed", Errno.Internal, "the run-as password could not be opened (was the task sealed to another agent?): " + e.Message);
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(definition.TimeoutSeconds > 0 ? definition.TimeoutSeconds : 24 * 3600), services.Time);
        using var both = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var taskRun = new TaskRun { Definition = definition, Report = report, Services = services, RunAsPassword = password };
        try
        {
            await executor.ExecuteAsync(taskRun, both.Token).ConfigureAwait(false);
            return Ended(report, report.ReturnCode == 0 ? "completed" : "failed", report.ReturnCode, null);
        }
        catch (TaskFailedException e)
        {
            return Ended(report, "failed", e.ReturnCode, e.Message);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return Ended(report, "timeout", Errno.TimedOut, $"the task did not finish within its timeout ({definition.TimeoutSeconds} s) and was stopped");
        }
        finally
        {
            if (password is not null)
            {
                CryptographicOperations.ZeroMemory(password);
            }
        }
    }

    private byte[]? OpenPassword(TaskDefinition definition)
    {
        if (definition.RunAs is not { EncryptedPassword.IsEmpty: false } account)
        {
            return null;
        }
        if (agentKey is not { } key)
        {
            throw new CryptographicException("the agent has no private key to open it with");
        }
        return AgentSeal.Open(key, account.EncryptedPassword.Span, Encoding.UTF8.GetBytes(definition.TaskId));
    }

    private TaskReport Ended(TaskReport report, string status, int returnCode, string? message)
    {
        report.Status = status;
        report.ReturnCode = returnCode;
        report.CompletedUs = services.NowUs();
        if (message is not null)
        {
            report.Errors.Add(new ObjectError { ObjectName = report.TaskId, Code = returnCode, Message = message });
        }
        LogTaskEnded(logger, report.TaskId, status, returnCode, message ?? "");
        return report;
    }

    private TaskReport Report(TaskDefinition definition, uint run, string status, int returnCode, string? message)
    {
        var report = new TaskReport
        {
            TaskId = definition.TaskId,
            Status = status,
            SettingsVersion = definition.SettingsVersion,
            AgentId = agentId,
            NodeAddress = nodeAddress(),
            Run = run,
        };
        if (status != "running")
        {
            Ended(report, status, returnCode, message);
        }
        return report;
    }

    private void Finish(TaskDefinition definition, TaskReport report)
    {
        outbox.AppendReport(report.ToByteArray());
        outbox.FinishTask(definition.TaskId);
        reportsWaiting();
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Task {TaskId} ({Type}) run {Run} started")]
    private static partial void LogTaskStarted(ILogger logger, string taskId, string type, uint run);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Task {TaskId} ended: {Status} (return code {ReturnCode}) {Message}")]
    private static partial void LogTaskEnded(ILogger logger, string taskId, string status, int returnCode, string message);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Task {TaskId} cancelled by an operator")]
    private static partial void LogCancelled(ILogger logger, string taskId);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Error, Message = "Task {TaskId} crashed")]
    private static partial void LogTaskCrashed(ILogger logger, string taskId, Exception exception);

    /// <summary>Return codes: errno values where one fits, else Osprey's own (above the errno range).</summary>
    internal static class Errno
    {
        public const int Interrupted = 4; // EINTR
        public const int TimedOut = 110; // ETIMEDOUT
        public const int Unsupported = 95; // EOPNOTSUPP
        public const int Internal = 1000;
    }
}
