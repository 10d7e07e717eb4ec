using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Osprey.Agent.Configuration;
using Osprey.Agent.Outbox;
using Osprey.Agent.Pipeline;
using Osprey.Agent.Quarantine;
using Osprey.Agent.Response.Isolation;
using Osprey.Agent.Security;
using Osprey.Agent.Sensors;
using Osprey.Agent.Sensors.Hashing;
using Osprey.Agent.Sensors.Processes;
using Osprey.Agent.Tasks;
using Osprey.Agent.Uplink;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Hosting;

/// <summary>
/// <c>osprey-agent run</c>: opens the state, starts the sensors, the pipeline into the outbox, the sender, the
/// sync loop, the status writer and the watchdog, and on stop stores what is queued before it exits.
/// </summary>
public sealed partial class AgentRunner(StatePaths paths, ILoggerFactory loggers, TimeProvider time)
{
    private static readonly TimeSpan StatusInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan MinRescanInterval = TimeSpan.FromSeconds(5);
    private readonly ILogger _logger = loggers.CreateLogger<AgentRunner>();
    private DateTimeOffset _lastRescan;

    /// <summary>Runs until <paramref name="stopping"/> fires; returns the process exit code.</summary>
    public async Task<int> RunAsync(CancellationToken stopping)
    {
        var options = AgentOptionsFile.Load(paths.Options);
        var secrets = AgentSecrets.Load(paths.SecretKey, paths.Secrets).WithQuarantineKey(paths.SecretKey, paths.Secrets);
        using var certificate = X509CertificateLoader.LoadPkcs12(secrets.ClientCertificatePkcs12, null);
        var identity = ProcessIdentity.ForThisBoot(secrets.AgentId);
        var host = new HostInfo(secrets.AgentId, identity, time);
        using var outbox = EventOutbox.Open(paths.Outbox, new OutboxLimits(TimeSpan.FromDays(options.OutboxMaxAgeDays), options.OutboxMaxBytes), time);
        var status = new ConnectionStatus(time);
        using var connector = new NodeConnector(
            new UplinkSettings(options.Servers, options.Pin, options.ProxyUrl, options.ProxyUser, secrets.ProxyPassword), certificate, status, time);
        var backoffInitial = TimeSpan.FromMilliseconds(options.BackoffInitialMs);
        var backoffMax = TimeSpan.FromMilliseconds(options.BackoffMaxMs);
        var sender = new TelemetrySender(outbox, connector, TimeSpan.FromMilliseconds(options.BatchIntervalMs), options.BatchMaxEvents,
            new Backoff(backoffInitial, backoffMax), time, loggers.CreateLogger<TelemetrySender>());
        var pipeline = new EventPipeline(outbox, new ExclusionFilter(options.Exclusions), host, sender.Notify, loggers.CreateLogger<EventPipeline>());
        var users = new UserDirectory();
        var hasher = new FileHasher(options.HashMaxBytes);
        var processes = new ProcessTable(identity, hasher, users, options.EnvironmentRedaction);
        Directory.CreateDirectory(paths.Sensors);
        var sensors = SensorCatalog.Create(options, paths);
        var healths = sensors.Select(s => new SensorHealth(s.Name)).ToList();
        var startedUs = time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
        var isolation = new IsolationController(
            new IsolationStore(paths.Isolation),
            new AllowList(options.Servers, options.ProxyUrl, options.Isolation.FaultNodeAddresses, AllowList.SystemResolverFiles),
            Nft.FromSystem(), IsolationGuard.FromEnvironment(), (timeout, ct) => ProbeNodeAsync(connector, timeout, ct),
            TimeSpan.FromSeconds(options.Isolation.VerifySeconds), time, loggers.CreateLogger<IsolationController>(),
            TimeSpan.FromSeconds(options.Isolation.ResolveSeconds));
        // Before anything else talks to the network: a host that was isolated stays isolated across restarts and reboots.
        await isolation.RestoreAsync(stopping).ConfigureAwait(false);

        await RecordPreviousRunAsync(pipeline, stopping).ConfigureAwait(false);
        File.WriteAllText(paths.RunMarker, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await pipeline.EmitAsync(Lifecycle(AgentLifecycleKind.Started, "the agent started", 0), stopping).ConfigureAwait(false);

        using var work = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var watchdog = new Watchdog(options.Watchdog, time);
        var pipelineTask = Task.Run(() => pipeline.RunAsync(CancellationToken.None), CancellationToken.None);
        // Rules from the last run are enforced before anything else starts.
        using var prevention = new Prevention.PreventionEngine(options.Prevention, paths.PreventionPolicy, ContextFor(new SensorHealth("prevention"), loggers.CreateLogger<Prevention.PreventionEngine>()));
        prevention.Start();
        var sync = new SyncLoop(connector, host, () => AgentStatusOf(status, outbox, healths, prevention, isolation), outbox, TimeSpan.FromSeconds(options.SyncIntervalSeconds),
            new Backoff(backoffInitial, backoffMax), time, loggers.CreateLogger<SyncLoop>());
        // What sensors and the task engine share: where events go, the process table, hasher and users.
        SensorContext ContextFor(SensorHealth health, ILogger logger) => new()
        {
            Sink = pipeline,
            Processes = processes,
            Hasher = hasher,
            Users = users,
            Options = options,
            Health = health,
            Time = time,
            Logger = logger,
        };
        var reports = new ReportSender(outbox, connector, new Backoff(backoffInitial, backoffMax), time, loggers.CreateLogger<ReportSender>());
        var engine = CreateTaskEngine(ContextFor(new SensorHealth("tasks"), loggers.CreateLogger<TaskEngine>()), outbox, secrets, connector, certificate, reports, prevention, isolation);
        sync.TaskReceived += engine.Submit;
        sync.TaskCancelled += engine.Cancel;
        engine.Start(work.Token);
        var tasks = new List<Task>
        {
            Task.Run(() => sender.RunAsync(work.Token), CancellationToken.None),
            Task.Run(() => reports.RunAsync(work.Token), CancellationToken.None),
            Task.Run(() => sync.RunAsync(work.Token), CancellationToken.None),
            Task.Run(() => isolation.RunAsync(work.Token), CancellationToken.None),
            Task.Run(() => WriteStatusAsync(secrets.AgentId, startedUs, status, outbox, sender, pipeline, healths, work.Token), CancellationToken.None),
        };
        for (var i = 0; i < sensors.Count; i++)
        {
            var sensor = sensors[i];
            var health = healths[i];
            health.LossReported += (h, count, reason) => OnLoss(pipeline, processes, h, count, reason);
            var context = ContextFor(health, loggers.CreateLogger("Osprey.Agent.Sensors." + sensor.Name));
            tasks.Add(Task.Run(() => RunSensorAsync(sensor, context, work.Token), CancellationToken.None));
        }
        LogStarted(_logger, secrets.AgentId, sensors.Count, string.Join(", ", options.Servers));
        var watchdogTask = Task.Run(() => watchdog.RunAsync(work.Token), CancellationToken.None);
        await Task.WhenAny(watchdogTask, Task.Delay(Timeout.Infinite, stopping)).ConfigureAwait(false);

        var exitCode = 0;
        string reason = "the agent was asked to stop";
        if (watchdog.Reason is { } fired)
        {
            (exitCode, reason) = (Watchdog.ExitCode, $"watchdog: {fired}");
            LogWatchdog(_logger, fired);
            File.WriteAllText(paths.LastExit, JsonSerializer.Serialize(new LastExit(reason, exitCode), LastExitJson.Default.LastExit));
        }
        await work.CancelAsync().ConfigureAwait(false);
        await WhenAllQuietly(tasks).ConfigureAwait(false);
        await pipeline.EmitAsync(Lifecycle(AgentLifecycleKind.Stopped, reason, exitCode), CancellationToken.None).ConfigureAwait(false);
        pipeline.Complete();
        await pipelineTask.ConfigureAwait(false);
        // One last delivery attempt, short, so a clean stop usually leaves nothing behind.
        using (var flush = new CancellationTokenSource(TimeSpan.FromSeconds(3)))
        {
            try
            {
                var pending = outbox.Read(sender.AckedSequence, 4096);
                if (pending.Count > 0)
                {
                    var reply = await connector.PostAsync("/agent/v1/telemetry", TelemetrySender.Encode(pending), TimeSpan.FromSeconds(3), flush.Token).ConfigureAwait(false);
                    outbox.Acknowledge(TelemetryAck.Parser.ParseFrom(reply).AckedSequence);
                }
            }
            catch (Exception e) when (e is NodeUnavailableException or NodeRefusedException or OperationCanceledException)
            {
            }
        }
        StatusFileWriter.Write(paths, secrets.AgentId, startedUs, status, outbox, sender, pipeline, healths, time, "stopped");
        File.Delete(paths.RunMarker);
        LogStopped(_logger, reason);
        return exitCode;
    }

    /// <summary>
    /// The task engine, sharing the sensors' process table, hasher and user directory (through <paramref name="context"/>),
    /// with an uploader into Storage, the quarantine store (recovered from an add the last run did not finish), the
    /// prevention engine and network isolation.
    /// </summary>
    private TaskEngine CreateTaskEngine(
        SensorContext context, EventOutbox outbox, AgentSecrets secrets, NodeConnector connector, X509Certificate2 certificate, ReportSender reports,
        Prevention.PreventionEngine prevention, IsolationController isolation)
    {
        // A dump or image left by a run the agent did not finish is of no use: its task was reported failed.
        if (Directory.Exists(paths.Spool))
        {
            Directory.Delete(paths.Spool, recursive: true);
        }
        Directory.CreateDirectory(paths.Spool, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var quarantine = new QuarantineStore(paths.Quarantine, secrets.QuarantineKey!);
        var recovery = quarantine.Recover();
        LogQuarantineRecovered(_logger, recovery.TemporariesRemoved, recovery.AddsRolledBack, string.Join(", ", recovery.Damaged));
        var services = new TaskServices
        {
            Processes = context.Processes, ProcessFacts = new ProcessEventFactory(context), Hasher = context.Hasher, Users = context.Users, Time = time,
            Uploader = new ObjectUploader(connector, new ObjectUploaderOptions(), time, loggers.CreateLogger<ObjectUploader>()), Quarantine = quarantine,
            Prevention = prevention,
            Isolation = isolation,
            SpoolDirectory = paths.Spool,
        };
        using var key = certificate.GetECDsaPrivateKey();
        return new TaskEngine(outbox, TaskExecutors.All(), services, secrets.AgentId, () => connector.CurrentServer, key?.ExportParameters(true), reports.Notify, loggers.CreateLogger<TaskEngine>());
    }

    /// <summary>One real request to the node (an empty report batch, which changes nothing): any answer means it is reachable.</summary>
    private static async Task ProbeNodeAsync(NodeConnector connector, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await connector.PostAsync("/agent/v1/reports", new TaskReportBatch(), timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (NodeRefusedException)
        {
        }
    }

    private async Task RecordPreviousRunAsync(EventPipeline pipeline, CancellationToken cancellationToken)
    {
        if (!File.Exists(paths.RunMarker))
        {
            return;
        }
        LastExit? last = null;
        try
        {
            last = JsonSerializer.Deserialize(File.ReadAllBytes(paths.LastExit), LastExitJson.Default.LastExit);
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
        }
        var reason = last?.Reason ?? "the previous run ended without a clean stop (killed, crashed or power lost)";
        await pipeline.EmitAsync(Lifecycle(AgentLifecycleKind.AbnormalStop, reason, last?.ReturnCode ?? -1), cancellationToken).ConfigureAwait(false);
        File.Delete(paths.LastExit);
    }

    private Event Lifecycle(AgentLifecycleKind kind, string reason, int returnCode)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
        return new Event
        {
            Type = EventType.AgentLifecycle,
            TimeUs = now,
            AgentLifecycle = new AgentLifecycleEvent
            {
                Kind = kind,
                Reason = reason,
                ReturnCode = returnCode,
                AgentVersion = HostInfo.AgentVersion,
                OccurredUs = now,
                InitiatedBy = kind == AgentLifecycleKind.Stopped && returnCode == 0 ? "service manager" : "agent",
            },
        };
    }

    /// <summary>A sensor lost events: record a gap and re-read /proc so the process table is whole again.</summary>
    private void OnLoss(EventPipeline pipeline, ProcessTable processes, SensorHealth health, long count, string reason)
    {
        var now = time.GetUtcNow();
        pipeline.TryEmit(new Event
        {
            Type = EventType.SensorGap,
            TimeUs = now.ToUnixTimeMilliseconds() * 1000,
            SensorGap = new SensorGapEvent
            {
                Source = health.Source,
                LostCount = (ulong)count,
                FirstTimeUs = now.ToUnixTimeMilliseconds() * 1000,
                LastTimeUs = now.ToUnixTimeMilliseconds() * 1000,
                Reason = reason,
            },
        });
        if (now - _lastRescan >= MinRescanInterval)
        {
            _lastRescan = now;
            _ = Task.Run(processes.Rescan);
        }
    }

    private async Task RunSensorAsync(ISensor sensor, SensorContext context, CancellationToken cancellationToken)
    {
        try
        {
            await sensor.RunAsync(context, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            context.Health.SetState(SensorState.Failed, e.Message);
            LogSensorFailed(_logger, sensor.Name, e);
            return;
        }
        if (context.Health.State is SensorState.Running or SensorState.Starting)
        {
            context.Health.SetState(SensorState.Stopped);
        }
    }

    private async Task WriteStatusAsync(
        string agentId, long startedUs, ConnectionStatus status, EventOutbox outbox, TelemetrySender sender, EventPipeline pipeline,
        IReadOnlyList<SensorHealth> healths, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(StatusInterval, time);
        do
        {
            StatusFileWriter.Write(paths, agentId, startedUs, status, outbox, sender, pipeline, healths, time, null);
        }
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
    }

    private static AgentStatus AgentStatusOf(
        ConnectionStatus status, EventOutbox outbox, IReadOnlyList<SensorHealth> healths, Prevention.PreventionEngine prevention, IsolationController isolation)
    {
        var statistics = outbox.Statistics();
        var result = new AgentStatus
        {
            QueueDepth = (ulong)statistics.Depth,
            QueueOldestUs = statistics.OldestTimeUs,
            DroppedEvents = (ulong)statistics.DroppedTotal,
            ConnectionState = status.State,
            Isolation = isolation.State,
            IsolationReleaseAtUs = isolation.ReleaseAtUs,
            PreventionVersion = prevention.AppliedVersion,
            PreventionRules = (uint)prevention.RuleCount,
        };
        result.CertificateErrors.AddRange(status.CertificateErrors());
        result.Sources.AddRange(healths.Select(h => new SourceCounters { Source = h.Source, Events = (ulong)h.Events, Dropped = (ulong)h.Lost, State = h.State.ToString() }));
        return result;
    }

    private static async Task WhenAllQuietly(IEnumerable<Task> tasks)
    {
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Agent {AgentId} running: {Sensors} sensors, nodes {Nodes}")]
    private static partial void LogStarted(ILogger logger, string agentId, int sensors, string nodes);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Agent stopped: {Reason}")]
    private static partial void LogStopped(ILogger logger, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "Sensor {Sensor} failed")]
    private static partial void LogSensorFailed(ILogger logger, string sensor, Exception error);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information,
        Message = "Quarantine store opened: {Temporaries} unfinished copies removed, {RolledBack} unfinished moves undone, damaged entries: [{Damaged}]")]
    private static partial void LogQuarantineRecovered(ILogger logger, int temporaries, int rolledBack, string damaged);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "Watchdog: {Reason}; the agent stops to be restarted")]
    private static partial void LogWatchdog(ILogger logger, string reason);
}

/// <summary>Why the agent ended its last run itself.</summary>
public sealed record LastExit(string Reason, int ReturnCode);

[System.Text.Json.Serialization.JsonSerializable(typeof(LastExit))]
internal sealed partial class LastExitJson : System.Text.Json.Serialization.JsonSerializerContext;
