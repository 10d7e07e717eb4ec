using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Osprey.Agent.Configuration;
using Osprey.Agent.Sensors;
using Osprey.Agent.Sensors.Hashing;
using Osprey.Agent.Sensors.Processes;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Tests.Support;

/// <summary>Runs one real sensor in-process and collects what it emits, so a test can wait for an expected event.</summary>
public sealed class SensorHarness : IAsyncDisposable, IEventSink
{
    private readonly ConcurrentQueue<Event> _events = new();
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly CancellationTokenSource _stop = new();
    private Task? _run;

    public SensorHarness(ISensor sensor, AgentOptions? options = null, string agentId = "00000000-0000-0000-0000-00000000a9e7")
    {
        Sensor = sensor;
        Options = options ?? new AgentOptions();
        Context = ContextFor(sensor.Name, this, Options, agentId);
        Processes = Context.Processes;
    }

    /// <summary>A context of real parts (process table, hasher, users) sending events to <paramref name="sink"/>.</summary>
    public static SensorContext ContextFor(string name, IEventSink sink, AgentOptions options, string agentId = "00000000-0000-0000-0000-00000000a9e7")
    {
        var users = new UserDirectory();
        var hasher = new FileHasher(options.HashMaxBytes);
        return new SensorContext
        {
            Sink = sink,
            Processes = new ProcessTable(ProcessIdentity.ForThisBoot(agentId), hasher, users, options.EnvironmentRedaction),
            Hasher = hasher,
            Users = users,
            Options = options,
            Health = new SensorHealth(name),
            Time = TimeProvider.System,
            Logger = NullLogger.Instance,
        };
    }

    public ISensor Sensor { get; }

    public AgentOptions Options { get; }

    public ProcessTable Processes { get; }

    public SensorContext Context { get; }

    public IReadOnlyCollection<Event> Events => _events;

    /// <summary>When false, TryEmit refuses events (to test loss counting).</summary>
    public bool Accepting { get; set; } = true;

    bool IEventSink.TryEmit(Event e)
    {
        if (!Accepting)
        {
            return false;
        }
        _events.Enqueue(e);
        _arrived.Release();
        return true;
    }

    /// <summary>Starts the sensor and waits until it reports Running (or fails the test with its message).</summary>
    public async Task StartAsync(TimeSpan? timeout = null)
    {
        _run = Task.Run(() => Sensor.RunAsync(Context, _stop.Token));
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (Context.Health.State == SensorState.Starting)
        {
            if (_run.IsFaulted)
            {
                await _run;
            }
            Assert.True(DateTime.UtcNow < deadline, $"sensor {Sensor.Name} did not start");
            await Task.Delay(20);
        }
        Assert.True(Context.Health.State == SensorState.Running, $"sensor {Sensor.Name} is {Context.Health.State}: {Context.Health.Message}");
    }

    /// <summary>Waits for the first event matching <paramref name="match"/>; fails with what did arrive when none does in time.</summary>
    public async Task<Event> WaitForAsync(Func<Event, bool> match, TimeSpan? timeout = null, string? what = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var found = _events.FirstOrDefault(match);
            if (found is not null)
            {
                return found;
            }
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                var seen = string.Join("\n", _events.TakeLast(20).Select(e => e.ToString()));
                Assert.Fail($"no {what ?? "matching event"} within the time limit; last events seen:\n{seen}");
            }
            await _arrived.WaitAsync(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_run is not null)
        {
            try
            {
                await _run.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (OperationCanceledException)
            {
            }
        }
        _stop.Dispose();
        _arrived.Dispose();
    }
}
