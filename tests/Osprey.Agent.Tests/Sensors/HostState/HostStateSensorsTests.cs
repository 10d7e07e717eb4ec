using Osprey.Agent.Sensors;
using Osprey.Agent.Sensors.HostState;
using Osprey.Agent.Tests.Support;
using Osprey.Testing.Paths;

namespace Osprey.Agent.Tests.Sensors.HostState;

public sealed class HostStateSensorsTests
{
    [Fact]
    public async Task EverySensor_StartsOnThisHostWithTheRealPaths_AndStopsWhenCancelled()
    {
        using var state = new TempDirectory("osprey-state");
        var sensors = HostStateSensors.Create(state.Path);
        Assert.Equal(["mount", "device", "logon", "scheduled-task", "service", "boot"], sensors.Select(s => s.Name));
        foreach (var sensor in sensors)
        {
            var h = new SensorHarness(sensor);
            await h.StartAsync();
            await h.DisposeAsync();
            Assert.Equal(SensorState.Stopped, h.Context.Health.State);
        }
    }
}
