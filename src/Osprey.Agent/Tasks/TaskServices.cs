using Osprey.Agent.Sensors.Hashing;
using Osprey.Agent.Sensors.Processes;

namespace Osprey.Agent.Tasks;

/// <summary>The agent's shared parts the executors use: the process table and its event factory (for process facts), the hasher, users.</summary>
internal sealed class TaskServices
{
    public required ProcessTable Processes { get; init; }

    public required ProcessEventFactory ProcessFacts { get; init; }

    public required FileHasher Hasher { get; init; }

    public required UserDirectory Users { get; init; }

    public required TimeProvider Time { get; init; }

    /// <summary>Network isolation; null where the agent was started without it (some tests).</summary>
    public Response.Isolation.IsolationController? Isolation { get; init; }

    public long NowUs() => Time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
}
