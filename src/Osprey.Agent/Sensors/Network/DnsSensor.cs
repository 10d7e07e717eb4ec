using Microsoft.Extensions.Logging;
using Osprey.Agent.Interop;

namespace Osprey.Agent.Sensors.Network;

/// <summary>
/// Reports DNS queries (DnsQuery) by capturing port-53 traffic on every interface with an AF_PACKET socket and a
/// classic BPF filter, matching each response to its query; the querying process is found through sock_diag and
/// /proc while its socket exists. Kernel drops (receive buffer full) are counted as loss.
/// </summary>
public sealed class DnsSensor(DnsSensorOptions? options = null) : ISensor
{
    private const int WaitMs = 200;
    private const int MaxPacketsPerWake = 1024;
    private const int StatisticsIntervalMs = 1000;
    private readonly DnsSensorOptions _options = options ?? new DnsSensorOptions();

    public string Name => "dns";

    public async Task RunAsync(SensorContext context, CancellationToken cancellationToken)
    {
        if (_options.Validate() is [var problem, ..])
        {
            context.Health.SetState(SensorState.Failed, problem);
            return;
        }
        var errno = PacketSocket.TryOpen(out var capture);
        if (errno != 0)
        {
            context.Health.SetState(
                SensorState.Unsupported,
                $"an AF_PACKET capture socket cannot be opened ({RawSocket.Describe(errno)}); it needs CAP_NET_RAW and packet socket support");
            return;
        }
        using (capture)
        {
            var failure = Configure(capture!, context);
            if (failure is not null)
            {
                context.Health.SetState(SensorState.Failed, failure);
                return;
            }
            // Without sock_diag the queries are still reported, only without their process.
            SockDiagClient.TryOpen(out var diag);
            using (diag)
            {
                var lookup = new DnsOwnerLookup(diag, new SocketOwners(context.Processes, 4096), context.Time, _options.MaxOwnerScansPerSecond);
                var tracker = new DnsTracker(_options, context, lookup.Find);
                context.Health.SetState(SensorState.Running);
                try
                {
                    await Task.Factory.StartNew(
                        () => Capture(capture!, tracker, context, cancellationToken),
                        cancellationToken,
                        TaskCreationOptions.LongRunning,
                        TaskScheduler.Default).ConfigureAwait(false);
                    context.Health.SetState(SensorState.Stopped);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    context.Health.SetState(SensorState.Stopped);
                }
                catch (Exception e)
                {
                    context.Logger.SensorFailed(Name, e);
                    context.Health.SetState(SensorState.Failed, e.Message);
                }
                finally
                {
                    tracker.Flush();
                }
            }
        }
    }

    private string? Configure(RawSocket capture, SensorContext context)
    {
        var errno = PacketSocket.AttachDnsFilter(capture);
        if (errno != 0)
        {
            return $"the port-53 filter cannot be attached to the capture socket: {RawSocket.Describe(errno)}";
        }
        errno = PacketSocket.SetReceiveBuffer(capture, _options.ReceiveBufferBytes);
        if (errno != 0)
        {
            context.Logger.ReceiveBufferNotRaised(RawSocket.Describe(errno));
        }
        errno = PacketSocket.BindAllInterfaces(capture);
        return errno == 0 ? null : $"the capture socket cannot be bound to every interface: {RawSocket.Describe(errno)}";
    }

    private static void Capture(RawSocket capture, DnsTracker tracker, SensorContext context, CancellationToken cancellationToken)
    {
        var buffer = new byte[PacketSocket.SnapLength];
        Span<byte> address = stackalloc byte[32];
        var statisticsAt = context.Time.GetTimestamp();
        var failing = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            var ready = capture.WaitReadable(WaitMs);
            if (ready < 0)
            {
                throw new IOException($"poll on the capture socket failed: {RawSocket.Describe(-ready)}");
            }
            for (var i = 0; ready > 0 && i < MaxPacketsPerWake; i++)
            {
                var length = capture.Receive(buffer, RawSocket.MsgTrunc, address, out var addressLength);
                if (length == -Errno.EAGAIN)
                {
                    break;
                }
                if (length < 0)
                {
                    // ENETDOWN and the like come from one interface; the socket itself stays usable.
                    if (!failing)
                    {
                        context.Logger.CaptureFailed(RawSocket.Describe(-length));
                    }
                    failing = true;
                    break;
                }
                failing = false;
                if (!PacketSocket.TryReadLink(address[..addressLength], out _, out _, out var hardwareType, out var packetType))
                {
                    continue;
                }
                var loopback = hardwareType == PacketSocket.ArphrdLoopback;
                if (loopback && packetType == PacketSocket.PacketOutgoing)
                {
                    // Loopback shows each packet twice, leaving and arriving: keep the arrival.
                    continue;
                }
                tracker.OnPacket(
                    buffer.AsSpan(0, Math.Min(length, buffer.Length)),
                    sentByThisHost: loopback || packetType == PacketSocket.PacketOutgoing,
                    deliveredToThisHost: loopback || packetType == PacketSocket.PacketHost);
            }
            tracker.Sweep();
            if (context.Time.GetElapsedTime(statisticsAt).TotalMilliseconds >= StatisticsIntervalMs)
            {
                statisticsAt = context.Time.GetTimestamp();
                if (PacketSocket.ReadStatistics(capture, out _, out var drops) == 0 && drops > 0)
                {
                    context.Health.ReportLoss(drops, "the kernel dropped captured DNS packets: the capture socket's receive buffer was full");
                }
            }
        }
    }
}
