using Microsoft.Extensions.Logging;
using Osprey.Agent.Configuration;
using Osprey.Agent.Sensors.Hashing;
using Osprey.Agent.Sensors.Processes;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Sensors;

/// <summary>What a sensor works with: where its events go, the shared process table and file hasher, its health.</summary>
public sealed class SensorContext
{
    public required IEventSink Sink { get; init; }

    public required ProcessTable Processes { get; init; }

    public required FileHasher Hasher { get; init; }

    public required UserDirectory Users { get; init; }

    public required AgentOptions Options { get; init; }

    public required SensorHealth Health { get; init; }

    public required TimeProvider Time { get; init; }

    public required ILogger Logger { get; init; }

    /// <summary>Current time in Unix microseconds.</summary>
    public long NowUs() => Time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;

    /// <summary>
    /// Queues an event (the pipeline gives it its ID, sequence number and device). The sensor fills its type,
    /// time, payload, acting process and user. When the queue is full the event is lost and counted.
    /// </summary>
    public bool Emit(Event e)
    {
        if (Sink.TryEmit(e))
        {
            Health.CountEvent();
            return true;
        }
        Health.ReportLoss(1, "the agent's event queue is full");
        return false;
    }
}

/// <summary>Where sensors put events: the bounded queue in front of exclusions and the outbox.</summary>
public interface IEventSink
{
    /// <summary>Queues the event; false when the queue is full (nothing waits on a sensor's thread).</summary>
    bool TryEmit(Event e);
}
