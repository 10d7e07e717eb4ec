using Osprey.Agent.Sensors.Files;

namespace Osprey.Agent.Tests.Sensors.Files;

public sealed class HandoffQueueTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AFullQueue_HoldsTheAdderUntilAnItemIsTaken_AndKeepsTheOrder()
    {
        var queue = new HandoffQueue<int>(2);
        queue.Add(1, Ct);
        queue.Add(2, Ct);
        var third = Task.Run(() => queue.Add(3, Ct), Ct);
        await Task.Delay(100, Ct);
        Assert.False(third.IsCompleted, "the third item went into a full queue");

        Assert.True(queue.TryTake(out var first, TimeSpan.FromSeconds(5)));
        await third.WaitAsync(TimeSpan.FromSeconds(5), Ct);
        Assert.True(queue.TryTake(out var second));
        Assert.True(queue.TryTake(out var last, TimeSpan.Zero));
        Assert.Equal([1, 2, 3], [first, second, last]);
    }

    [Fact]
    public async Task AWaitingTaker_GetsAnItemAddedLater_OrFalseAfterItsTimeout()
    {
        var queue = new HandoffQueue<string>(4);
        Assert.False(queue.TryTake(out _, TimeSpan.FromMilliseconds(50)));
        var taker = Task.Run(() => queue.TryTake(out var item, TimeSpan.FromSeconds(10)) ? item : null, Ct);
        await Task.Delay(50, Ct);
        queue.Add("change", Ct);
        Assert.Equal("change", await taker.WaitAsync(TimeSpan.FromSeconds(5), Ct));
    }

    [Fact]
    public async Task CompleteAdding_ReleasesAWaitingTaker_AndRefusesMoreItems()
    {
        var queue = new HandoffQueue<int>(4);
        queue.Add(7, Ct);
        var taker = Task.Run(() =>
        {
            var taken = new List<int>();
            while (!queue.IsCompleted)
            {
                if (queue.TryTake(out var item, TimeSpan.FromSeconds(30)))
                {
                    taken.Add(item);
                }
            }
            return taken;
        }, Ct);
        await Task.Delay(100, Ct);
        queue.CompleteAdding();
        Assert.Equal([7], await taker.WaitAsync(TimeSpan.FromSeconds(5), Ct));
        Assert.Throws<InvalidOperationException>(() => queue.Add(8, Ct));
    }

    [Fact]
    public async Task AnAdderWaitingOnAFullQueue_IsReleasedByCancellation()
    {
        var queue = new HandoffQueue<int>(1);
        queue.Add(1, Ct);
        using var cancel = new CancellationTokenSource();
        var adder = Task.Run(() => queue.Add(2, cancel.Token), Ct);
        await Task.Delay(100, Ct);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => adder.WaitAsync(TimeSpan.FromSeconds(5), Ct));
    }
}
