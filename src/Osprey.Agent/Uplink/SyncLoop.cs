using Microsoft.Extensions.Logging;
using Osprey.Agent.Hosting;
using Osprey.Agent.Outbox;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Uplink;

/// <summary>
/// The heartbeat: every sync interval the agent reports its device and status; the node holds the request
/// open (long-poll) up to that interval and answers early when a task arrives. Received tasks are kept in
/// the outbox database until the task engine handles them.
/// </summary>
public sealed partial class SyncLoop(
    NodeConnector node, HostInfo host, Func<AgentStatus> status, EventOutbox outbox, TimeSpan interval, Backoff backoff,
    TimeProvider time, ILogger<SyncLoop> logger)
{
    /// <summary>Tasks received, for the task engine (issue 4) to pick up.</summary>
    public event Action<TaskDefinition>? TaskReceived;

    /// <summary>An operator cancelled a task this agent holds.</summary>
    public event Action<string>? TaskCancelled;

    public long Syncs { get; private set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var request = new SyncRequest
            {
                Device = host.DeviceInfo(node.CurrentServer),
                Status = status(),
                WaitSeconds = (int)interval.TotalSeconds,
            };
            request.KnownTaskIds.AddRange(outbox.KnownTaskIds());
            var started = time.GetUtcNow();
            try
            {
                var reply = SyncResponse.Parser.ParseFrom(
                    await node.PostAsync("/agent/v1/sync", request, interval + TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false));
                Syncs++;
                backoff.Reset();
                foreach (var task in reply.Tasks)
                {
                    outbox.RememberTask(task.TaskId, Google.Protobuf.MessageExtensions.ToByteArray(task));
                    LogTaskReceived(logger, task.TaskId);
                    TaskReceived?.Invoke(task);
                }
                foreach (var taskId in reply.CancelledTaskIds)
                {
                    TaskCancelled?.Invoke(taskId);
                }
                // The node answers early when it has tasks; otherwise the long-poll already waited.
                var elapsed = time.GetUtcNow() - started;
                if (reply.Tasks.Count == 0 && reply.CancelledTaskIds.Count == 0 && elapsed < interval)
                {
                    await Task.Delay(interval - elapsed, time, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is NodeUnavailableException or NodeRefusedException)
            {
                var delay = backoff.NextDelay();
                LogSyncFailed(logger, e.Message, delay.TotalSeconds);
                await Task.Delay(delay < interval ? delay : interval, time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Task {TaskId} received")]
    private static partial void LogTaskReceived(ILogger logger, string taskId);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "Sync failed: {Reason}; retrying in {Seconds:0.0} s")]
    private static partial void LogSyncFailed(ILogger logger, string reason, double seconds);
}
