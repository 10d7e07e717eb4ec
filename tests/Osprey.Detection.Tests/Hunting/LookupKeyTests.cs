using Xunit;
using Osprey.Detection.Hunting;

namespace Osprey.Detection.Tests.Hunting;

public sealed class LookupKeyTests
{
    [Theory]
    [InlineData("D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e")]
    [InlineData("AbC-xYz_09", "abc-XYZ_09")]
    [InlineData("", "")]
    public void ValuesEqualUnderNocase_HaveOneKey(string a, string b) => Assert.Equal(LookupKey.Of(a), LookupKey.Of(b));

    [Theory]
    [InlineData("d41d8cd98f00b204e9800998ecf8427e", "d41d8cd98f00b204e9800998ecf8427f")]
    [InlineData("ab", "ba")]
    [InlineData("a", "")]
    // SQLite's NOCASE folds ASCII letters only: É and é differ there, so they must not share a key.
    [InlineData("É", "é")]
    public void DifferentValues_HaveDifferentKeys(string a, string b) => Assert.NotEqual(LookupKey.Of(a), LookupKey.Of(b));
}
