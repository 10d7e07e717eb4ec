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

    [Fact]
    public void EveryCorpusIndicator_Evaluates_AndAFileWithAPublishedMd5IsDetected()
    {
        var evaluator = new IocEvaluator(IocTermCatalog.Endpoint);
        var documents = IocCorpus.Files().Select(f => IocParser.Parse(File.ReadAllBytes(f), f).Document!).ToList();
        var md5Items = documents.SelectMany(d => d.Indicators).SelectMany(i => i.Items())
            .Where(i => i.Search == "FileItem/Md5sum" && i.Condition == IocCondition.Is && !i.Negate).ToList();
        Assert.True(md5Items.Count > 300, $"only {md5Items.Count} MD5 items");
        var planted = new IocTestObject("FileItem", ("FileName", "planted.bin"), ("Md5sum", md5Items[0].Content.ToUpperInvariant()));
        var objects = new IocObjectSet([planted, new IocTestObject("ProcessItem", ("name", "bash"), ("arguments", "bash -l")), new IocTestObject("PortItem", ("remotePort", "443"))]);
        var detected = 0;
        var unknownTerms = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var indicator in documents.SelectMany(d => d.Indicators))
        {
            var outcome = evaluator.Evaluate(indicator, objects);
            if (outcome.Detected)
            {
                detected++;
            }
            if (indicator.Items().Contains(md5Items[0]))
            {
                Assert.True(outcome.Detected, $"indicator {indicator.Id} holding MD5 {md5Items[0].Content} was not detected on a file with that MD5");
                Assert.Contains(md5Items[0].Id, outcome.MatchedBranch);
                Assert.Equal([planted], outcome.Objects);
            }
            unknownTerms.UnionWith(indicator.Items().Where(i => !IocTermCatalog.Endpoint.IsKnown(i.Search)).Select(i => i.Search));
            Assert.Equal(outcome.Warnings.Count(w => w.StartsWith("term ", StringComparison.Ordinal)), indicator.Items().Where(i => !IocTermCatalog.Endpoint.IsKnown(i.Search)).Select(i => i.Search).Distinct(StringComparer.OrdinalIgnoreCase).Count());
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"detected {detected} indicators; {unknownTerms.Count} terms not evaluated on endpoints, e.g. {string.Join(", ", unknownTerms.Order(StringComparer.Ordinal).Take(8))}"));
        Assert.True(detected >= 1);
    }
}
