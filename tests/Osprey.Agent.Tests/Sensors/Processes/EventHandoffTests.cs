using System.Diagnostics;
using Osprey.Agent.Sensors.Processes;

namespace Osprey.Agent.Tests.Sensors.Processes;

public sealed class EventHandoffTests
{
    [Fact]
    public async Task TryAdd_WithoutWake_LeavesASleepingConsumerAsleepUntilItsTimeout()
    {
        using var queue = new EventHandoff(1024);
        var clock = Stopwatch.StartNew();
        var taking = Task.Factory.StartNew(() => (queue.TryTake(out var item, 600), item.Pid, clock.Elapsed), TaskCreationOptions.LongRunning);
        await Task.Delay(100, TestContext.Current.CancellationToken);

        Assert.True(queue.TryAdd(new ConnectorEvent { Kind = ConnectorEventKind.Fork, Pid = 7 }, wake: false));
        var (taken, pid, after) = await taking;

        Assert.True(taken);
        Assert.Equal(7, pid);
        // Not woken by the item: it was taken when the 600 ms wait ended.
        Assert.True(after >= TimeSpan.FromMilliseconds(550), $"taken after {after.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task TryAdd_WithWake_WakesTheConsumerAndTakesTheLazyItemsFirst()
    {
        using var queue = new EventHandoff(1024);
        var clock = Stopwatch.StartNew();
        var taking = Task.Factory.StartNew(() => (queue.TryTake(out var item, 10_000), item.Pid, clock.Elapsed), TaskCreationOptions.LongRunning);
        await Task.Delay(100, TestContext.Current.CancellationToken);

        queue.TryAdd(new ConnectorEvent { Kind = ConnectorEventKind.Fork, Pid = 1 }, wake: false);
        queue.TryAdd(new ConnectorEvent { Kind = ConnectorEventKind.Exec, Pid = 1 });
        var (taken, pid, after) = await taking;

        Assert.True(taken);
        Assert.Equal(1, pid);
        Assert.True(after < TimeSpan.FromSeconds(5), $"taken after {after.TotalMilliseconds} ms");
        Assert.True(queue.TryTake(out var exec, 0));
        Assert.Equal(ConnectorEventKind.Exec, exec.Kind);
    }

    [Fact]
    public async Task TryAdd_WithoutWake_StillWakesTheConsumerOnceManyAreWaiting()
    {
        using var queue = new EventHandoff(1024);
        var clock = Stopwatch.StartNew();
        var taking = Task.Factory.StartNew(() => (queue.TryTake(out _, 10_000), clock.Elapsed), TaskCreationOptions.LongRunning);
        await Task.Delay(100, TestContext.Current.CancellationToken);

        for (var i = 0; i < EventHandoff.LazyWakeCount; i++)
        {
            queue.TryAdd(new ConnectorEvent { Kind = ConnectorEventKind.Fork, Pid = i }, wake: false);
        }
        var (taken, after) = await taking;

        Assert.True(taken);
        Assert.True(after < TimeSpan.FromSeconds(5), $"taken after {after.TotalMilliseconds} ms");
        Assert.Equal(EventHandoff.LazyWakeCount - 1, queue.Count);
    }
}
