using Microsoft.Extensions.Logging.Abstractions;
using Osprey.Agent.Configuration;
using Osprey.Agent.Sensors;
using Osprey.Agent.Sensors.Hashing;
using Osprey.Agent.Sensors.Processes;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Tests.Sensors.HostState;

/// <summary>A sink that holds the sensor's thread inside its first Emit until released, so kernel queues fill up behind it.</summary>
internal sealed class BlockingSink : IEventSink, IDisposable
{
    private readonly ManualResetEventSlim _release = new(false);
    private readonly ManualResetEventSlim _blocked = new(false);
    private readonly System.Collections.Concurrent.ConcurrentQueue<Event> _events = new();

    public IReadOnlyCollection<Event> Events => _events;

    public bool TryEmit(Event e)
    {
        _events.Enqueue(e);
        _blocked.Set();
        _release.Wait(TimeSpan.FromSeconds(60));
        return true;
    }

    public bool WaitUntilBlocked(TimeSpan timeout) => _blocked.Wait(timeout);

    public void Release() => _release.Set();

    public static SensorContext ContextFor(ISensor sensor, IEventSink sink)
    {
        var users = new UserDirectory();
        var hasher = new FileHasher(1 << 20);
        var options = new AgentOptions();
        return new SensorContext
        {
            Sink = sink,
            Processes = new ProcessTable(ProcessIdentity.ForThisBoot("00000000-0000-0000-0000-00000000b10c"), hasher, users, options.EnvironmentRedaction),
            Hasher = hasher,
            Users = users,
            Options = options,
            Health = new SensorHealth(sensor.Name),
            Time = TimeProvider.System,
            Logger = NullLogger.Instance,
        };
    }

    public void Dispose()
    {
        _release.Set();
        _release.Dispose();
        _blocked.Dispose();
    }
}
