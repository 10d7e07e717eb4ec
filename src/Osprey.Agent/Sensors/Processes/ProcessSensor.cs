using Osprey.Agent.Interop;

namespace Osprey.Agent.Sensors.Processes;

/// <summary>
/// Process starts and stops from the kernel's netlink proc connector, enriched from /proc, and library loads from
/// /proc/PID/maps. One thread reads the socket and takes a first look at each new program; another builds the events.
/// </summary>
public sealed class ProcessSensor(ProcessSensorOptions? options = null) : ISensor
{
    private static readonly TimeSpan AckTimeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan ReceiveTimeout = TimeSpan.FromMilliseconds(200);
    private static int s_listenNonce;
    private readonly ProcessSensorOptions _options = options ?? new ProcessSensorOptions();

    public string Name => "process";

    public ProcessSensorOptions Options => _options;

    /// <summary>Running totals: starts (and how many were partial), stops, module loads, kernel losses.</summary>
    public ProcessSensorCounters Counters { get; } = new();

    /// <summary>ProcessStart events built partly from the exec-time first look because the process was gone from /proc.</summary>
    public long PartialStarts => Counters.PartialStarts;

    public async Task RunAsync(SensorContext context, CancellationToken cancellationToken)
    {
        var problems = _options.Validate();
        if (problems.Count > 0)
        {
            Fail(context, "invalid options: " + string.Join("; ", problems));
            return;
        }
        using var socket = ProcConnectorSocket.Open(out var errno);
        if (socket is null)
        {
            Unsupported(context, errno switch
            {
                Errno.EPROTONOSUPPORT => "the kernel has no netlink connector (CONFIG_CONNECTOR)",
                Errno.EPERM or Errno.EACCES => "opening the proc connector needs root (CAP_NET_ADMIN)",
                _ => $"the proc connector socket could not be opened (errno {errno})",
            });
            return;
        }
        var bufferErrno = socket.SetReceiveBuffer(_options.ReceiveBufferBytes);
        if (bufferErrno != 0)
        {
            ProcessSensorLog.ReceiveBufferRefused(context.Logger, bufferErrno);
        }
        if (socket.SetReceiveTimeout(ReceiveTimeout) is var timeoutErrno and not 0)
        {
            Fail(context, $"setting the receive timeout failed (errno {timeoutErrno})");
            return;
        }

        using var queue = new EventHandoff(_options.QueueCapacity);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var nonce = (uint)Interlocked.Increment(ref s_listenNonce) ^ ((uint)Environment.ProcessId << 12);
        string? captureError = null;
        using var execCapture = _options.KernelExecCapture ? ExecCapture.TryLoad(ExecCapture.DefaultObjectPath, out captureError) : null;
        if (captureError is not null)
        {
            ProcessSensorLog.ExecCaptureUnavailable(context.Logger, captureError);
        }
        var reader = new ConnectorReader(socket, queue, _options, Counters, nonce, execCapture);
        var readerThread = new Thread(() => reader.Run(stop.Token)) { IsBackground = true, Name = "osprey-proc-connector" };
        readerThread.Start();
        try
        {
            var listenErrno = socket.Listen(nonce, ProcConnector.McastListen);
            if (listenErrno != 0)
            {
                Unsupported(context, listenErrno is Errno.EPERM or Errno.EACCES
                    ? "subscribing to process events needs root (CAP_NET_ADMIN)"
                    : $"subscribing to process events failed (errno {listenErrno})");
                return;
            }
            int ack;
            try
            {
                ack = await reader.Acknowledged.WaitAsync(AckTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                Unsupported(context, "the kernel did not answer the proc connector subscription (kernel without CONFIG_PROC_EVENTS, or not in the initial PID namespace)");
                return;
            }
            if (ack != 0)
            {
                Unsupported(context, ack < 0 ? reader.Error ?? "the proc connector reader stopped" : $"the kernel refused the proc connector subscription (error {ack})");
                return;
            }

            var worker = new ProcessEventWorker(context, _options, Counters, reader.Buffers);
            context.Health.SetState(SensorState.Running, captureError is null ? null
                : "without the kernel exec capture (" + captureError + "): processes gone before the agent reads /proc lose their command line");
            ProcessSensorLog.Started(context.Logger, _options.ReceiveBufferBytes);
            if (reader.RealTimeErrno != 0 && (_options.ReaderNice is null || reader.NiceErrno != 0))
            {
                ProcessSensorLog.PriorityRefused(context.Logger, reader.RealTimeErrno, reader.NiceErrno);
            }
            try
            {
                await Task.Factory.StartNew(() => worker.Run(queue, stop.Token), stop.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                ProcessSensorLog.WorkerFailed(context.Logger, e);
                Fail(context, $"enrichment failed: {e.Message}");
                return;
            }
            if (reader.Error is { } error)
            {
                Fail(context, error);
                return;
            }
            context.Health.SetState(SensorState.Stopped);
            ProcessSensorLog.Stopped(context.Logger, Counters.Starts, Counters.PartialStarts, Counters.Stops, Counters.ModuleLoads, Counters.KernelLostEvents);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            readerThread.Join();
            // The kernel keeps generating events while it counts a listener; say goodbye before closing.
            socket.Listen(nonce, ProcConnector.McastIgnore);
        }
    }

    private static void Unsupported(SensorContext context, string reason)
    {
        ProcessSensorLog.Unsupported(context.Logger, reason);
        context.Health.SetState(SensorState.Unsupported, reason);
    }

    private static void Fail(SensorContext context, string reason)
    {
        ProcessSensorLog.Failed(context.Logger, reason);
        context.Health.SetState(SensorState.Failed, reason);
    }
}
