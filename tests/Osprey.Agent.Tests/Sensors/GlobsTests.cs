using Osprey.Agent.Sensors;

namespace Osprey.Agent.Tests.Sensors;

public sealed class GlobsTests
{
    [Theory]
    [InlineData("MY_SECRET_TOKEN", true)]
    [InlineData("my_secret", true)]
    [InlineData("AWS_KEY", true)]
    [InlineData("aws_kEy", true)]
    [InlineData("AWS_KKEY", false)]
    [InlineData("PATH", false)]
    [InlineData("a.b", true)]
    [InlineData("axb", false)]
    public void ToRegex_MatchesWholeNamesWithStarAndQuestionMarkIgnoringCase(string name, bool matches)
    {
        var regex = Globs.ToRegex(["*SECRET*", "AWS_?EY", "a.b"])!;
        Assert.Equal(matches, regex.IsMatch(name));
    }

    [Fact]
    public void ToRegex_HasNoTimeoutToFireOnAPreemptedThread()
    {
        var regex = Globs.ToRegex(["*a*a*a*a*a*b"])!;
        Assert.Equal(System.Text.RegularExpressions.Regex.InfiniteMatchTimeout, regex.MatchTimeout);
        Assert.DoesNotMatch(regex, new string('a', 20_000));
        Assert.Null(Globs.ToRegex([]));
    }
}
