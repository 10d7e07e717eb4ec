using Osprey.Detection.OpenIoc;
using Xunit;
using static Osprey.Detection.Tests.OpenIoc.IocXml;

namespace Osprey.Detection.Tests.OpenIoc;

/// <summary>AND / OR trees: which objects bind, which branch is named, what is warned about.</summary>
public sealed class IocEvaluatorTests
{
    private static readonly IocEvaluator Evaluator = new(IocTermCatalog.Endpoint);

    private static readonly IocTestObject Miner = new("ProcessItem", ("name", "xmrig"), ("arguments", "xmrig --url pool.example:3333"), ("pid", "4242"));
    private static readonly IocTestObject Shell = new("ProcessItem", ("name", "bash"), ("arguments", "bash -i"), ("pid", "77"));
    private static readonly IocTestObject Evil = new("FileItem", ("FileName", "evil.sh"), ("FullPath", "/tmp/x/evil.sh"), ("Md5sum", "0123456789abcdef0123456789abcdef"));
    private static readonly IocTestObject Benign = new("FileItem", ("FileName", "notes.txt"), ("FullPath", "/tmp/x/notes.txt"), ("Md5sum", "fedcba9876543210fedcba9876543210"));
    private static readonly IocTestObject C2 = new("PortItem", ("remoteIP", "203.0.113.7"), ("remotePort", "4444"), ("protocol", "TCP"));

    private static IocIndicatorOutcome Run(string indicator, params IIocObject[] objects) =>
        Evaluator.Evaluate(Parse(Document11(indicator)).Indicators[0], new IocObjectSet(objects));

    [Fact]
    public void Or_HoldsWhenAnyChildHolds_AndNamesOnlyTheChildrenThatHeld()
    {
        var outcome = Run(Indicator("OR", "top",
            Item("is", "ProcessItem/name", "xmrig", id: "by-name"),
            Item("is", "FileItem/Md5sum", "0123456789abcdef0123456789abcdef", "md5", id: "by-md5"),
            Item("is", "PortItem/remotePort", "5555", "int", id: "by-port")),
            Miner, Shell, Evil, Benign, C2);

        Assert.True(outcome.Detected);
        Assert.Equal(["top", "by-name", "by-md5"], outcome.MatchedBranch);
        Assert.Equal([Evil, Miner], outcome.Objects.Cast<IocTestObject>().OrderBy(o => o.Document));
    }

    [Fact]
    public void Or_NoChildHolds_NotDetected()
    {
        var outcome = Run(Indicator("OR", "top", Item("is", "ProcessItem/name", "nc"), Item("is", "PortItem/remotePort", "31337", "int")), Miner, C2);
        Assert.False(outcome.Detected);
        Assert.Empty(outcome.MatchedBranch);
        Assert.Empty(outcome.Objects);
    }

    [Fact]
    public void And_OnOneItemType_NeedsOneObjectSatisfyingAll()
    {
        // "bash" is one process and "--url" in the arguments of another: no single process has both.
        var split = Run(Indicator("AND", "top", Item("is", "ProcessItem/name", "bash"), Item("contains", "ProcessItem/arguments", "--url")), Miner, Shell);
        Assert.False(split.Detected);

        var together = Run(Indicator("AND", "top", Item("is", "ProcessItem/name", "xmrig", id: "n"), Item("contains", "ProcessItem/arguments", "--url", id: "a")), Miner, Shell);
        Assert.True(together.Detected);
        Assert.Equal(["top", "n", "a"], together.MatchedBranch);
        Assert.Equal([Miner], together.Objects);
    }

    [Fact]
    public void And_AcrossItemTypes_EachBindsItsOwnObjects()
    {
        var outcome = Run(Indicator("AND", "top",
            Item("is", "ProcessItem/name", "xmrig", id: "p"),
            Item("is", "PortItem/remotePort", "4444", "int", id: "c")),
            Miner, Shell, C2);
        Assert.True(outcome.Detected);
        Assert.Equal(["top", "p", "c"], outcome.MatchedBranch);
        Assert.Equal(2, outcome.Objects.Count);

        Assert.False(Run(Indicator("AND", "top", Item("is", "ProcessItem/name", "xmrig"), Item("is", "PortItem/remotePort", "4445", "int")), Miner, C2).Detected);
    }

    [Fact]
    public void NestedTree_NamesTheBranchThatHeld_NotTheSiblingWhoseObjectWasDropped()
    {
        // top = AND(OR(name is evil.sh, name is notes.txt), md5 is evil's): only evil.sh survives the AND, so only its OR child is named.
        var outcome = Run(Indicator("AND", "top",
                Indicator("OR", "names", Item("is", "FileItem/FileName", "evil.sh", id: "evil-name"), Item("is", "FileItem/FileName", "notes.txt", id: "notes-name")),
                Item("is", "FileItem/Md5sum", "0123456789abcdef0123456789abcdef", "md5", id: "md5")),
            Evil, Benign);
        Assert.True(outcome.Detected);
        Assert.Equal(["top", "names", "evil-name", "md5"], outcome.MatchedBranch);
        Assert.Equal([Evil], outcome.Objects);
    }

    [Fact]
    public void DeepOrOfAnds_TypicalPublishedShape()
    {
        var indicator = Indicator("OR", "top",
            Indicator("AND", "file-branch", Item("is", "FileItem/FileName", "evil.sh", id: "f1"), Item("starts-with", "FileItem/FullPath", "/tmp/", id: "f2")),
            Indicator("AND", "process-branch", Item("is", "ProcessItem/name", "nc", id: "p1"), Item("contains", "ProcessItem/arguments", "-e", id: "p2")),
            Indicator("AND", "net-branch", Item("is", "PortItem/remoteIP", "203.0.113.0/24", "IP", id: "n1"), Item("is", "PortItem/protocol", "TCP", id: "n2")));
        var outcome = Run(indicator, Evil, Benign, Miner, C2);
        Assert.True(outcome.Detected);
        Assert.Equal(["top", "file-branch", "f1", "f2", "net-branch", "n1", "n2"], outcome.MatchedBranch);
        Assert.Equal([Evil, C2], outcome.Objects.Cast<IocTestObject>().OrderBy(o => o.Document));
    }

    [Fact]
    public void NegatedItemInAnd_ExcludesTheObjectThatHasIt()
    {
        // A file under /tmp/x whose MD5 is not the known-good one: only evil.sh.
        var outcome = Run(Indicator("AND", "top",
            Item("starts-with", "FileItem/FullPath", "/tmp/x/"),
            Item("is", "FileItem/Md5sum", "fedcba9876543210fedcba9876543210", "md5", negate: true)),
            Evil, Benign);
        Assert.Equal([Evil], outcome.Objects);
    }

    [Fact]
    public void EmptyAnd_Holds_EmptyOr_DoesNot()
    {
        Assert.True(Run(Indicator("AND", "top"), Miner).Detected);
        Assert.False(Run(Indicator("OR", "top"), Miner).Detected);
    }

    [Fact]
    public void UnknownTerms_NeverMatch_AndAreWarnedOncePerTerm()
    {
        var outcome = Run(Indicator("OR", "top",
            Item("contains", "RegistryItem/Path", "Run"),
            Item("contains", "RegistryItem/Path", "RunOnce"),
            Item("is", "processEvent/process", "xmrig"),
            Item("is", "ProcessItem/name", "xmrig", id: "known")),
            Miner, new IocTestObject("RegistryItem", ("Path", "HKLM\\Run")));
        Assert.True(outcome.Detected);
        Assert.Equal(["top", "known"], outcome.MatchedBranch);
        Assert.Equal(2, outcome.Warnings.Count);
        Assert.Contains(outcome.Warnings, w => w.Contains("'RegistryItem/Path'", StringComparison.Ordinal) && w.Contains("2 items", StringComparison.Ordinal));
        Assert.Contains(outcome.Warnings, w => w.Contains("'processEvent/process'", StringComparison.Ordinal));

        // An AND with an unknown term cannot hold.
        Assert.False(Run(Indicator("AND", "top", Item("is", "ProcessItem/name", "xmrig"), Item("contains", "RegistryItem/Path", "Run")), Miner).Detected);
    }

    [Fact]
    public void Objects_AreBoundedAndTruncationIsSaid()
    {
        var many = Enumerable.Range(0, 50).Select(i => (IIocObject)new IocTestObject("ProcessItem", ("name", "worker"), ("pid", i.ToString(System.Globalization.CultureInfo.InvariantCulture)))).ToArray();
        var indicator = Parse(Document11(Indicator("OR", "top", Item("is", "ProcessItem/name", "worker")))).Indicators[0];
        var outcome = Evaluator.Evaluate(indicator, new IocObjectSet(many), maxObjects: 10);
        Assert.True(outcome.Detected);
        Assert.Equal(10, outcome.Objects.Count);
        Assert.True(outcome.ObjectsTruncated);
        Assert.False(Evaluator.Evaluate(indicator, new IocObjectSet(many), maxObjects: 50).ObjectsTruncated);
    }

    [Fact]
    public void Equalities_OverManyObjects_AgreeWithTestingEachObject()
    {
        // Equalities are answered from an index of the term's values; narrowed by an AND or not, the answer must be the one a scan of every object gives.
        var many = Enumerable.Range(0, 500).Select(i => (IIocObject)new IocTestObject("ProcessItem",
            ("name", i % 2 == 0 ? "Worker" : "worker"), ("pid", i.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("Username", i % 5 == 0 ? "root" : "alice"))).ToArray();
        var set = new IocObjectSet(many);
        IocIndicatorOutcome Eval(string indicator) => Evaluator.Evaluate(Parse(Document11(indicator)).Indicators[0], set, maxObjects: 1000);

        Assert.Equal(500, Eval(Indicator("OR", "t", Item("is", "ProcessItem/name", "WORKER"))).Objects.Count);
        Assert.Equal(250, Eval(Indicator("OR", "t", Item("is", "ProcessItem/name", "worker", preserveCase: true))).Objects.Count);
        Assert.Equal(50, Eval(Indicator("AND", "t", Item("is", "ProcessItem/name", "Worker", preserveCase: true), Item("is", "ProcessItem/Username", "root"))).Objects.Count);
        var one = Assert.Single(Eval(Indicator("AND", "t", Item("is", "ProcessItem/Username", "root"), Item("is", "ProcessItem/pid", "35", "int"))).Objects);
        Assert.Equal(["35"], one.Values("ProcessItem/pid"));
        Assert.Empty(Eval(Indicator("AND", "t", Item("is", "ProcessItem/Username", "root"), Item("is", "ProcessItem/pid", "36"))).Objects);
        Assert.Equal(400, Eval(Indicator("OR", "t", Item("is", "ProcessItem/Username", "root", negate: true))).Objects.Count);
    }

    [Fact]
    public void OpenIoc10_ContainsnotAndIsnot_AndTheTopIndicatorIsTheDefinitionsOne()
    {
        var document = Parse(Document10(Indicator("AND", "top-10",
            Item("contains", "ProcessItem/arguments", "pool", id: "a"),
            Item("isnot", "ProcessItem/name", "bash", id: "b"),
            Item("containsnot", "ProcessItem/arguments", "--dry-run", id: "c"))));
        Assert.Equal(IocVersion.OpenIoc10, document.Version);
        Assert.Equal("test 1.0", document.Title);
        var outcome = Evaluator.Evaluate(Assert.Single(document.Indicators), new IocObjectSet([Miner, Shell]));
        Assert.Equal(["top-10", "a", "b", "c"], outcome.MatchedBranch);
        Assert.Equal([Miner], outcome.Objects);
    }

    [Fact]
    public void OpenIoc11_Parameters_AttachToTheirItem()
    {
        var xml = Document11(Indicator("OR", "top", Item("contains", "ProcessItem/name", "x", id: "target")))
            .Replace("<parameters/>", """<parameters><param ref-id="target" id="p1" name="comment"><value type="string">seen in 2024</value></param><param ref-id="nowhere" id="p2" name="x"><value type="string">y</value></param></parameters>""", StringComparison.Ordinal);
        var result = IocParser.Parse(xml, "params.ioc");
        Assert.True(result.Parsed, result.Message);
        var item = result.Document!.Indicators[0].Items().Single();
        Assert.Equal("seen in 2024", Assert.Single(item.Parameters).Value);
        Assert.Contains(result.Warnings, w => w.Contains("'nowhere'", StringComparison.Ordinal));
    }
}
