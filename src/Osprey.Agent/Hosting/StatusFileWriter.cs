using Osprey.Agent.Configuration;
using Osprey.Agent.Outbox;
using Osprey.Agent.Pipeline;
using Osprey.Agent.Sensors;
using Osprey.Agent.Uplink;

namespace Osprey.Agent.Hosting;

/// <summary>Gathers the running agent's state into <see cref="StatusFile"/>.</summary>
internal static class StatusFileWriter
{
    public static void Write(
        StatePaths paths, string agentId, long startedUs, ConnectionStatus status, EventOutbox outbox, TelemetrySender sender, EventPipeline pipeline,
        IReadOnlyList<SensorHealth> healths, TimeProvider time, string? stateOverride)
    {
        var statistics = outbox.Statistics();
        StatusFile.Write(paths.Status, new StatusFile
        {
            AgentId = agentId,
            Pid = Environment.ProcessId,
            StartedUs = startedUs,
            WrittenUs = time.GetUtcNow().ToUnixTimeMilliseconds() * 1000,
            ConnectionState = stateOverride ?? status.State,
            NodeInUse = status.NodeInUse,
            LastContactUs = status.LastContactUs,
            LastError = status.LastError,
            CertificateErrors = [.. status.CertificateErrors().Select(e => new CertificateErrorEntry(e.TimeUs, e.Side, e.NodeAddress, e.Message))],
            QueueDepth = statistics.Depth,
            QueueBytes = statistics.Bytes,
            QueueOldestUs = statistics.OldestTimeUs,
            LastSequence = statistics.LastSequence,
            AckedSequence = sender.AckedSequence,
            DroppedEvents = statistics.DroppedTotal,
            ExcludedEvents = pipeline.Excluded,
            Sensors = [.. healths.Select(h => new SensorEntry(h.Source, h.State.ToString(), h.Message, h.Events, h.Lost))],
        });
    }
}
