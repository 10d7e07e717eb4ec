using System.Buffers;
using Osprey.Agent.Interop;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Sensors.HostState;

/// <summary>
/// Volume mounts and unmounts from the mount table (/proc/self/mountinfo), which the kernel marks with
/// POLLPRI whenever it changes; each change is a diff of the table by mount ID. Remounts (same ID, other
/// options) are not reported; mounts in other mount namespaces are not seen.
/// </summary>
public sealed class MountSensor(MountSensorOptions? options = null) : ISensor
{
    private const int InitialBuffer = 64 * 1024;
    private const int MaxTableBytes = 16 * 1024 * 1024;

    private readonly MountSensorOptions _options = options ?? new MountSensorOptions();

    public string Name => "mount";

    public Task RunAsync(SensorContext context, CancellationToken cancellationToken) =>
        ReaderThread.Run(Name, context, () => Run(context, cancellationToken), cancellationToken);

    private void Run(SensorContext context, CancellationToken cancellationToken)
    {
        using var table = FdIo.OpenReadOnly(_options.MountInfoPath, out var errno);
        if (table is null)
        {
            context.Health.SetState(SensorState.Unsupported, $"{_options.MountInfoPath} cannot be opened: {Errno.ToException(errno, "open").Message}");
            return;
        }
        var volumes = new VolumeIdentity(_options.DiskDirectory, _options.SysDevBlockDirectory, _options.ProbeSuperblocks);
        using var waiter = new DescriptorWaiter(cancellationToken);
        var buffer = ArrayPool<byte>.Shared.Rent(InitialBuffer);
        try
        {
            var mounts = Read(table, ref buffer);
            context.Health.SetState(SensorState.Running);
            while (true)
            {
                var revents = waiter.Wait(table, Poll.Pri, Timeout.InfiniteTimeSpan);
                if ((revents & Poll.Nval) != 0)
                {
                    throw new IOException($"{_options.MountInfoPath} can no longer be polled");
                }
                if ((revents & (Poll.Pri | Poll.Err)) == 0)
                {
                    continue;
                }
                var now = Read(table, ref buffer);
                foreach (var (id, gone) in mounts)
                {
                    if (!now.ContainsKey(id))
                    {
                        // The device usually still exists right after an unmount; resolve what was not resolved at mount.
                        gone.Volume ??= volumes.Resolve(gone);
                        context.Emit(ToEvent(context, MountOperation.Unmounted, gone));
                    }
                }
                foreach (var (id, added) in now)
                {
                    if (mounts.TryGetValue(id, out var known))
                    {
                        now[id] = known;
                        continue;
                    }
                    added.Volume = volumes.Resolve(added);
                    context.Emit(ToEvent(context, MountOperation.Mounted, added));
                }
                mounts = now;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads the whole table from offset 0 in as few reads as possible, growing the buffer up to the bound.</summary>
    private Dictionary<int, MountEntry> Read(FileDescriptor table, ref byte[] buffer)
    {
        while (true)
        {
            var total = 0;
            while (true)
            {
                var n = FdIo.PRead(table, buffer.AsSpan(total), total);
                if (n < 0)
                {
                    throw Errno.ToException(-n, $"pread({_options.MountInfoPath})");
                }
                total += n;
                if (n == 0 || total < buffer.Length)
                {
                    break;
                }
                if (buffer.Length >= MaxTableBytes)
                {
                    // Parse what fits: the bound protects the agent, the tail of a huge table is dropped.
                    return MountInfo.ParseTable(buffer.AsSpan(0, LastLineEnd(buffer.AsSpan(0, total))));
                }
                var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, MaxTableBytes));
                buffer.AsSpan(0, total).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = larger;
            }
            return MountInfo.ParseTable(buffer.AsSpan(0, total));
        }
    }

    private static int LastLineEnd(ReadOnlySpan<byte> text) => text.LastIndexOf((byte)'\n') + 1;

    internal static Event ToEvent(SensorContext context, MountOperation operation, MountEntry entry)
    {
        var payload = new VolumeMountEvent
        {
            Operation = operation,
            Source = entry.Source,
            MountPoint = entry.MountPoint,
            FsType = entry.FsType,
            VolumeLabel = entry.Volume?.Label ?? "",
            VolumeUuid = entry.Volume?.Uuid ?? "",
        };
        payload.Options.AddRange(entry.Options);
        return new Event { Type = EventType.VolumeMount, TimeUs = context.NowUs(), VolumeMount = payload };
    }
}
