using Osprey.Node.Ingest;

namespace Osprey.Node.Tests.Ingest;

public sealed class SequenceRangesTests
{
    [Fact]
    public void Add_MergesAdjacentAndOverlappingRanges()
    {
        var ranges = new SequenceRanges();
        ranges.Add(1, 10);
        ranges.Add(20, 30);
        ranges.Add(12, 15);
        Assert.Equal(10UL, ranges.Acked);
        ranges.Add(11);
        ranges.Add(16, 19);

        Assert.Equal([(1UL, 30UL)], ranges.Ranges);
        Assert.Equal(30UL, ranges.Acked);
        Assert.True(ranges.Contains(17));
        Assert.False(ranges.Contains(31));
    }

    [Fact]
    public void Acked_IsZeroUntilSequenceOneArrives()
    {
        var ranges = new SequenceRanges([(5UL, 9UL)]);
        Assert.Equal(0UL, ranges.Acked);
        Assert.Equal(9UL, ranges.Highest);
        ranges.Add(1, 4);
        Assert.Equal(9UL, ranges.Acked);
    }
}
