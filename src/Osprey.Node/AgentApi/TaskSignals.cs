using System.Collections.Concurrent;

namespace Osprey.Node.AgentApi;

/// <summary>Wakes long-polling sync requests when a task is queued for their agent.</summary>
public sealed class TaskSignals
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _waiting = new(StringComparer.Ordinal);

    public Task WaitHandle(string agentId) =>
        _waiting.GetOrAdd(agentId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void Notify(string agentId)
    {
        if (_waiting.TryRemove(agentId, out var completion))
        {
            completion.TrySetResult();
        }
    }
}
