using Osprey.Agent.Quarantine;
using Osprey.Agent.Sensors.Hashing;
using Osprey.Agent.Sensors.Processes;
using Osprey.Agent.Uplink;

namespace Osprey.Agent.Tasks;

/// <summary>
/// The agent's shared parts the executors use: the process table and its event factory (for process facts), the hasher,
/// users, the uploader into the node's Storage, a spool directory for files written before they are uploaded, and the
/// quarantine store.
/// </summary>
internal sealed class TaskServices
{
    public required ProcessTable Processes { get; init; }

    public required ProcessEventFactory ProcessFacts { get; init; }

    public required FileHasher Hasher { get; init; }

    public required UserDirectory Users { get; init; }

    public required TimeProvider Time { get; init; }

    /// <summary>The prevention engine; null where the agent runs without one (tests of other executors).</summary>
    public Prevention.PreventionEngine? Prevention { get; init; }
    public required ObjectUploader Uploader { get; init; }

    public required QuarantineStore Quarantine { get; init; }

    /// <summary>Root-only directory for dumps and images on their way to Storage; emptied when the agent starts.</summary>
    public required string SpoolDirectory { get; init; }
    /// <summary>Network isolation; null where the agent was started without it (some tests).</summary>
    public Response.Isolation.IsolationController? Isolation { get; init; }

    public long NowUs() => Time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
}
