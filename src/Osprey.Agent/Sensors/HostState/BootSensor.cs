using System.Globalization;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Sensors.HostState;

/// <summary>
/// Reports each boot once (OsStartup: boot time from /proc/stat btime, boot ID, kernel release) and, when a new
/// boot is found, the end of the previous one (OsShutdown). The reported boot ID and a heartbeat of "still
/// alive at" are kept in <c>boot-state</c> in the state directory. The previous boot's end comes from the
/// shutdown record systemd or init write to wtmp ("shutdown", or "reboot" when a runlevel 6 record says so);
/// without one, the last heartbeat is the end time and the kind is "crash" when wtmp is kept (it recorded that
/// boot but no shutdown) or "unknown" when wtmp holds nothing about that boot.
/// </summary>
public sealed class BootSensor(string stateDirectory, BootSensorOptions? options = null) : ISensor
{
    private readonly BootSensorOptions _options = options ?? new BootSensorOptions();

    public string Name => "boot";

    public async Task RunAsync(SensorContext context, CancellationToken cancellationToken)
    {
        string bootId;
        long bootTimeUs;
        string kernel;
        try
        {
            bootId = File.ReadAllText(_options.BootIdPath).Trim();
            bootTimeUs = ReadBootTimeUs(_options.StatPath);
            kernel = File.ReadAllText(_options.OsReleasePath).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            context.Health.SetState(SensorState.Unsupported, $"this boot cannot be identified: {e.Message}");
            return;
        }
        var previous = BootState.Read(stateDirectory);
        if (previous is null || !string.Equals(previous.BootId, bootId, StringComparison.Ordinal))
        {
            if (previous is not null)
            {
                context.Emit(Shutdown(context, previous, bootTimeUs));
            }
            context.Emit(new Event
            {
                Type = EventType.OsStartup,
                TimeUs = bootTimeUs,
                OsStartup = new OsStartupEvent { BootTimeUs = bootTimeUs, BootId = bootId, KernelVersion = kernel },
            });
        }
        if (!TryWrite(context, new BootState(bootId, bootTimeUs, context.NowUs())))
        {
            context.Health.SetState(SensorState.Failed, $"the boot state cannot be written to {stateDirectory}; every start would report this boot again");
            return;
        }
        context.Health.SetState(SensorState.Running);
        try
        {
            using var timer = new PeriodicTimer(_options.HeartbeatInterval, context.Time);
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                TryWrite(context, new BootState(bootId, bootTimeUs, context.NowUs()));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        TryWrite(context, new BootState(bootId, bootTimeUs, context.NowUs()));
        context.Health.SetState(SensorState.Stopped);
    }

    private Event Shutdown(SensorContext context, BootState previous, long bootTimeUs)
    {
        var (timeUs, kind) = FindShutdown(previous, bootTimeUs);
        return new Event
        {
            Type = EventType.OsShutdown,
            TimeUs = timeUs > 0 ? timeUs : context.NowUs(),
            OsShutdown = new OsShutdownEvent
            {
                ShutdownTimeUs = timeUs,
                BootId = previous.BootId,
                Kind = kind,
                UptimeSeconds = timeUs > previous.BootTimeUs ? (timeUs - previous.BootTimeUs) / 1_000_000 : 0,
            },
        };
    }

    /// <summary>The previous boot's end from wtmp, or its last heartbeat with what wtmp says about how it ended.</summary>
    private (long TimeUs, string Kind) FindShutdown(BootState previous, long bootTimeUs)
    {
        var records = Wtmp.ReadTail(_options.WtmpPath, _options.WtmpTailBytes);
        // wtmp times come from the wall clock of their boot; allow for a clock step around the boot record.
        var slackUs = 120L * 1_000_000;
        var during = records.Where(r => r.TimeUs >= previous.BootTimeUs - slackUs && r.TimeUs < bootTimeUs).ToList();
        var shutdown = during.LastOrDefault(r => r.Type == UtmpType.RunLevel && r.User == "shutdown");
        if (shutdown is not null)
        {
            // systemd and sysvinit encode the new runlevel as the low byte of ut_pid ('0' halt, '6' reboot).
            var level = during.LastOrDefault(r => r.Type == UtmpType.RunLevel && r.User == "runlevel" && (r.Pid & 0xff) is '0' or '6');
            var kind = level is not null && (level.Pid & 0xff) == '6' ? "reboot" : "shutdown";
            return (shutdown.TimeUs, kind);
        }
        var lastSeen = previous.LastSeenUs > previous.BootTimeUs ? previous.LastSeenUs : 0;
        return (lastSeen, during.Count > 0 ? "crash" : "unknown");
    }

    private bool TryWrite(SensorContext context, BootState state)
    {
        try
        {
            state.Write(stateDirectory);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            HostStateLog.BootStateNotWritten(context.Logger, stateDirectory, e);
            return false;
        }
    }

    internal static long ReadBootTimeUs(string statPath)
    {
        foreach (var line in File.ReadLines(statPath))
        {
            if (line.StartsWith("btime ", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(6).Trim(), NumberStyles.None, CultureInfo.InvariantCulture) * 1_000_000;
            }
        }
        throw new FormatException($"{statPath} has no btime line");
    }
}
