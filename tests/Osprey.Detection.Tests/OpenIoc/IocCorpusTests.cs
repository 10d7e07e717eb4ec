using System.Globalization;
using Osprey.Detection.OpenIoc;
using Xunit;

namespace Osprey.Detection.Tests.OpenIoc;

/// <summary>The 150 published OpenIOC files of the corpus: each parses or is rejected with a reason.</summary>
public sealed class IocCorpusTests(ITestOutputHelper output)
{
    [Fact]
    public void EveryCorpusFile_ParsesOrIsRejectedWithAReason()
    {
        var files = IocCorpus.Files();
        Assert.Equal(150, files.Count);
        var results = files.Select(f => IocParser.Parse(File.ReadAllBytes(f), Path.GetRelativePath(IocCorpus.Root, f))).ToList();
        foreach (var r in results.Where(r => !r.Parsed))
        {
            output.WriteLine(r.Message);
        }
        foreach (var r in results)
        {
            Assert.True(r.Parsed != (r.Reason is not null), r.Message);
            if (!r.Parsed)
            {
                Assert.False(string.IsNullOrWhiteSpace(r.Reason), r.Source);
            }
        }
        var parsed = results.Where(r => r.Parsed).Select(r => r.Document!).ToList();
        var items = parsed.Sum(d => d.Indicators.Sum(i => i.Items().Count()));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{results.Count} files: {parsed.Count} parsed ({parsed.Count(d => d.Version == IocVersion.OpenIoc10)} OpenIOC 1.0, {parsed.Count(d => d.Version == IocVersion.OpenIoc11)} 1.1), {results.Count - parsed.Count} rejected; {items} IndicatorItems"));
        Assert.Equal(150, parsed.Count);
        Assert.Equal(32, parsed.Count(d => d.Version == IocVersion.OpenIoc10));
        Assert.Equal(118, parsed.Count(d => d.Version == IocVersion.OpenIoc11));
    }
}
