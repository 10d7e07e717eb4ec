using System.Buffers;
using Osprey.Agent.Interop;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Sensors.HostState;

/// <summary>
/// External devices connected and disconnected, from the kernel's uevents (NETLINK_KOBJECT_UEVENT, kernel
/// group) described from sysfs: USB devices (not their interfaces), removable disks and disks on external
/// buses, Thunderbolt devices, and loop devices while an image file is attached to them (device type "loop").
/// udev's re-broadcast (hwdb names, ID_SERIAL) is not used, so names are the device's own strings.
/// </summary>
public sealed class DeviceSensor(DeviceSensorOptions? options = null) : ISensor
{
    private const int MaxKnown = 4096;

    private readonly DeviceSensorOptions _options = options ?? new DeviceSensorOptions();

    public string Name => "device";

    public Task RunAsync(SensorContext context, CancellationToken cancellationToken) =>
        ReaderThread.Run(Name, context, () => Run(context, cancellationToken), cancellationToken);

    private void Run(SensorContext context, CancellationToken cancellationToken)
    {
        FileDescriptor socket;
        try
        {
            socket = Uevent.Open(Uevent.KernelGroup, _options.ReceiveBufferBytes);
        }
        catch (IOException e)
        {
            context.Health.SetState(SensorState.Unsupported, $"the kernel's uevent socket is not available: {e.Message}");
            return;
        }
        using (socket)
        using (var waiter = new DescriptorWaiter(cancellationToken))
        {
            var sysfs = new SysfsDevices(_options.SysRoot);
            // Devices by sysfs path as they were described when they came (sysfs is gone when they leave).
            var known = new Dictionary<string, DeviceConnectEvent>(StringComparer.Ordinal);
            var pending = new Dictionary<string, (UeventMessage Message, long Due)>(StringComparer.Ordinal);
            // The socket is open before the snapshot, so a device arriving in between is seen by one or the other.
            Resync(context, sysfs, known, emit: false);
            context.Health.SetState(SensorState.Running);
            var buffer = ArrayPool<byte>.Shared.Rent(UeventParser.MaxBytes);
            try
            {
                while (true)
                {
                    var wait = pending.Count == 0 ? Timeout.InfiniteTimeSpan : Remaining(context, pending.Values.Min(p => p.Due));
                    var revents = waiter.Wait(socket, Poll.In, wait);
                    if ((revents & Poll.Nval) != 0)
                    {
                        throw new IOException("the uevent socket can no longer be polled");
                    }
                    var lost = false;
                    while ((revents & Poll.In) != 0)
                    {
                        var status = Uevent.Receive(socket, buffer.AsSpan(0, UeventParser.MaxBytes), out var length, out var sender, out _);
                        if (status == Uevent.ReceiveStatus.Empty)
                        {
                            break;
                        }
                        if (status == Uevent.ReceiveStatus.Overflow)
                        {
                            lost = true;
                            continue;
                        }
                        if (length > UeventParser.MaxBytes)
                        {
                            context.Health.ReportLoss(1, "a uevent was larger than the receive buffer");
                            continue;
                        }
                        // Only the kernel (port 0) speaks on this group; anything else is not trusted.
                        if (sender != 0 || !UeventParser.TryParse(buffer.AsSpan(0, length), out var message))
                        {
                            continue;
                        }
                        Handle(context, sysfs, message!, known, pending);
                    }
                    FlushDue(context, sysfs, known, pending);
                    if (lost)
                    {
                        context.Health.ReportLoss(1, "the uevent socket buffer overflowed (ENOBUFS)");
                        HostStateLog.EventsLost(context.Logger, Name, "uevent socket overflow; rescanning sysfs");
                        FlushAll(context, sysfs, known, pending);
                        Resync(context, sysfs, known, emit: true);
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private void Handle(
        SensorContext context, SysfsDevices sysfs, UeventMessage message, Dictionary<string, DeviceConnectEvent> known,
        Dictionary<string, (UeventMessage Message, long Due)> pending)
    {
        var kind = SysfsDevices.Classify(message);
        if (kind == DeviceKind.None)
        {
            return;
        }
        switch (message.Action)
        {
            case "add" when kind == DeviceKind.Usb:
                if (pending.Count < MaxKnown)
                {
                    pending[message.DevPath] = (message, context.Time.GetTimestamp() + (long)(_options.UsbSettleDelay.TotalSeconds * context.Time.TimestampFrequency));
                }
                break;
            case "add":
            case "change":
                Connect(context, sysfs, message, kind, known);
                break;
            case "remove":
                if (pending.Remove(message.DevPath, out var early))
                {
                    // Gone before it settled: report what the uevent itself said, then its removal.
                    Connect(context, sysfs, early.Message, kind, known);
                }
                if (!known.ContainsKey(message.DevPath) && sysfs.Describe(message, kind) is { } unknown)
                {
                    // Not remembered (the bound was reached): what the uevent itself says.
                    Emit(context, DeviceOperation.Disconnected, unknown);
                    break;
                }
                Disconnect(context, message.DevPath, known);
                break;
        }
    }

    /// <summary>Reports a device not known yet; a loop device whose image changed or went away is reported as such.</summary>
    private void Connect(SensorContext context, SysfsDevices sysfs, UeventMessage message, DeviceKind kind, Dictionary<string, DeviceConnectEvent> known)
    {
        var described = sysfs.Describe(message, kind);
        known.TryGetValue(message.DevPath, out var before);
        if (described is null)
        {
            if (kind == DeviceKind.Loop && before is not null)
            {
                Disconnect(context, message.DevPath, known);
            }
            return;
        }
        if (before is not null)
        {
            if (kind != DeviceKind.Loop || string.Equals(before.DeviceId, described.DeviceId, StringComparison.Ordinal))
            {
                return;
            }
            Disconnect(context, message.DevPath, known);
        }
        if (known.Count >= MaxKnown)
        {
            // Without a record the removal is still reported, from the uevent alone, but less completely.
            context.Health.ReportLoss(1, "too many devices to remember");
        }
        else
        {
            known[message.DevPath] = described;
        }
        Emit(context, DeviceOperation.Connected, described);
    }

    private static void Disconnect(SensorContext context, string devPath, Dictionary<string, DeviceConnectEvent> known)
    {
        if (known.Remove(devPath, out var device))
        {
            Emit(context, DeviceOperation.Disconnected, device);
        }
    }

    private static void Emit(SensorContext context, DeviceOperation operation, DeviceConnectEvent device)
    {
        var payload = device.Clone();
        payload.Operation = operation;
        context.Emit(new Event { Type = EventType.DeviceConnect, TimeUs = context.NowUs(), DeviceConnect = payload });
    }

    private void FlushDue(SensorContext context, SysfsDevices sysfs, Dictionary<string, DeviceConnectEvent> known, Dictionary<string, (UeventMessage Message, long Due)> pending)
    {
        if (pending.Count == 0)
        {
            return;
        }
        var now = context.Time.GetTimestamp();
        foreach (var (path, (message, due)) in pending.Where(p => p.Value.Due <= now).ToList())
        {
            pending.Remove(path);
            Connect(context, sysfs, message, DeviceKind.Usb, known);
        }
    }

    private void FlushAll(SensorContext context, SysfsDevices sysfs, Dictionary<string, DeviceConnectEvent> known, Dictionary<string, (UeventMessage Message, long Due)> pending)
    {
        foreach (var (_, (message, _)) in pending)
        {
            Connect(context, sysfs, message, DeviceKind.Usb, known);
        }
        pending.Clear();
    }

    /// <summary>Compares sysfs with what is known: at start silently, after lost uevents as connect and disconnect events.</summary>
    private void Resync(SensorContext context, SysfsDevices sysfs, Dictionary<string, DeviceConnectEvent> known, bool emit)
    {
        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var message in sysfs.Snapshot())
        {
            var kind = SysfsDevices.Classify(message);
            if (emit)
            {
                Connect(context, sysfs, message, kind, known);
            }
            else if (known.Count < MaxKnown && sysfs.Describe(message, kind) is { } device)
            {
                known[message.DevPath] = device;
            }
            if (known.ContainsKey(message.DevPath))
            {
                present.Add(message.DevPath);
            }
        }
        foreach (var gone in known.Keys.Where(k => !present.Contains(k)).ToList())
        {
            if (emit)
            {
                Disconnect(context, gone, known);
            }
            else
            {
                known.Remove(gone);
            }
        }
    }

    private static TimeSpan Remaining(SensorContext context, long due)
    {
        var left = context.Time.GetElapsedTime(context.Time.GetTimestamp(), due);
        return left < TimeSpan.Zero ? TimeSpan.Zero : left;
    }
}
