using Osprey.Agent.Tasks;

namespace Osprey.Agent.Tests.Tasks;

public sealed class TaskPathsTests
{
    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("/")]
    [InlineData("/home/user/a file with spaces.txt")]
    public void NormalisedAbsolutePaths_AreAccepted(string path) => Assert.Null(TaskPaths.Problem(path));

    [Theory]
    [InlineData("", "a path is required")]
    [InlineData("etc/passwd", "must be absolute")]
    [InlineData("/tmp/../etc/shadow", "not normalised")]
    [InlineData("/tmp/./x", "not normalised")]
    [InlineData("/tmp//x", "not normalised")]
    [InlineData("/tmp/x/", "not normalised")]
    [InlineData("/tmp/x\0/etc/passwd", "control character")]
    [InlineData("/tmp/x\ny", "control character")]
    public void HostilePaths_AreRefused_WithTheReason(string path, string reason) =>
        Assert.Contains(reason, TaskPaths.Problem(path), StringComparison.Ordinal);

    [Fact]
    public void OverlongPaths_AreRefused() => Assert.Contains("longer than", TaskPaths.Problem("/" + new string('a', 5000)), StringComparison.Ordinal);

    [Theory]
    [InlineData("/tmp/report.pdf", "report.pdf")]
    [InlineData("/tmp/a\nb", "a?b")]
    public void StorageName_IsTheFileNameWithoutControlCharacters(string path, string name) => Assert.Equal(name, TaskPaths.StorageName(path));
}
