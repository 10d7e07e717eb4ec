using Osprey.Contracts.V1;
using Osprey.Detection.Sigma;
using Xunit;
using static Osprey.Detection.Tests.Sigma.SigmaEvents;
using static Osprey.Detection.Tests.Sigma.SigmaTestRules;

namespace Osprey.Detection.Tests.Sigma;

/// <summary>The engine: its prefilter changes no result, it is safe on many threads, it does not allocate per event, and it reports each rule once.</summary>
public sealed class SigmaEngineTests
{
    private static IReadOnlyList<CompiledSigmaRule> CorpusRules => [.. SigmaCorpus.Results.Where(r => r.Compiled is not null).Select(r => r.Compiled!)];

    private static List<string> Names(SigmaEngine engine, Event e) => [.. engine.Evaluate(e).Select(m => m.Rule.Source).Order(StringComparer.Ordinal)];

    [Fact]
    public void ThePrefilter_ChangesNoResult()
    {
        var indexed = new SigmaEngine(CorpusRules);
        var plain = new SigmaEngine(CorpusRules, new SigmaEngineOptions { Prefilter = false });
        var matches = 0;
        foreach (var e in SigmaWorkload.Events(3000, 7))
        {
            var expected = Names(plain, e);
            Assert.Equal(expected, Names(indexed, e));
            matches += expected.Count;
        }

        Assert.True(matches > 500, $"the workload matched only {matches} times");
    }

    [Theory]
    [InlineData("selection:\n    - Image|endswith: '/curl'\n    - ParentImage|endswith: '/sshd'\ncondition: selection")]
    [InlineData("a:\n    Image|endswith: '/curl'\nb:\n    CommandLine|contains: 'curl'\ncondition: a or b")]
    [InlineData("a:\n    Image: '/usr/bin/curl'\nb:\n    Image|endswith: ['/wget', '/curl']\ncondition: a or (b and not a)")]
    [InlineData("a:\n    Image|endswith: '/curl'\nb:\n    ParentImage|endswith: '/sshd'\ncondition: a and b or not a")]
    [InlineData("a:\n    Image|endswith: ['/curl', 'wget']\ncondition: a")]
    [InlineData("a:\n    Image|endswith: ['/curl', '/wget']\n    ParentImage|endswith: '/sshd'\ncondition: a")]
    public void ThePrefilter_KeepsEveryRuleItCannotProveNeedless(string detection)
    {
        var rule = Compile(detection);
        var indexed = new SigmaEngine([rule]);
        var plain = new SigmaEngine([rule], new SigmaEngineOptions { Prefilter = false });
        var hits = 0;
        foreach (var image in new[] { "/usr/bin/curl", "/usr/bin/wget", "/usr/bin/xwget", "/usr/bin/ls" })
        {
            foreach (var parent in new[] { "/usr/sbin/sshd", "/usr/bin/bash" })
            {
                foreach (var argv in new[] { new[] { "curl" }, ["ls"] })
                {
                    var e = Exec(image, argv, parentImage: parent);
                    var expected = plain.Evaluate(e).Count;
                    Assert.Equal(expected, indexed.Evaluate(e).Count);
                    hits += expected;
                }
            }
        }

        Assert.True(hits > 0);
    }

    [Fact]
    public void ConcurrentEvaluations_GiveTheSameResultsAsOneThread()
    {
        var engine = new SigmaEngine(CorpusRules);
        var events = SigmaWorkload.Events(4000, 11);
        var expected = events.Select(e => string.Join(",", Names(engine, e))).ToArray();
        var actual = new string[events.Count];
        Parallel.For(0, events.Count, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => actual[i] = string.Join(",", Names(engine, events[i])));
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void EvaluatingEventsThatMatchNothing_AllocatesNothing()
    {
        var engine = new SigmaEngine(CorpusRules);
        Event[] events =
        [
            Exec("/usr/bin/ls", ["ls", "-la", "/home/alice/my files"]),
            Exec("/usr/bin/cat", ["cat", "/home/alice/a b", "x\"y"], parentArgv: ["bash", "-c", "cat \"a b\""]),
            FileModify("/home/alice/notes.txt", "/usr/bin/vim"),
            Connection("/usr/bin/curl", "10.0.0.5", 51000, "93.184.216.34", 443),
            Dns("debian.org", "/usr/bin/apt-get", "NOERROR", "130.89.148.77"),
        ];
        var matches = new List<SigmaMatch>();
        foreach (var e in events)
        {
            engine.Evaluate(e, matches);
        }

        Assert.Empty(matches);

        // The runtime itself may allocate once in a while on this thread (tiered compilation); an allocation per
        // event would show in every round.
        var rounds = new List<long>();
        for (var round = 0; round < 5; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 2000; i++)
            {
                engine.Evaluate(events[i % events.Length], matches);
            }

            rounds.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.True(rounds.Min() == 0, $"bytes allocated per round of 2000 events: {string.Join(", ", rounds)}");
        Assert.Empty(matches);
    }

    [Fact]
    public void ARuleMatchingTheSameEventAsSeveralRecords_IsReportedOnce()
    {
        var rule = Compile("execve:\n    type: EXECVE\n    a0: tool\npath:\n    type: PATH\n    name|endswith: '/tool'\ncondition: 1 of them", "product: linux\n    service: auditd");
        Assert.Contains("auditd EXECVE (process start)", rule.RecordKinds);
        Assert.Contains("auditd PATH (executable of a process start)", rule.RecordKinds);
        var match = Assert.Single(new SigmaEngine([rule]).Evaluate(Exec("/opt/tool", ["tool"])));
        Assert.Equal(["execve"], match.Selections);
    }

    [Fact]
    public void EventsOfOtherTypes_OrWithoutPayload_MatchNothing()
    {
        var engine = new SigmaEngine(CorpusRules);
        Assert.Empty(engine.Evaluate(new Event()));
        Assert.Empty(engine.Evaluate(new Event { Type = EventType.UserLogon, UserLogon = new UserSessionEvent { RemoteIp = "1.2.3.4" } }));
        var empty = new Event { Type = EventType.ProcessStart, ProcessStart = new ProcessStartEvent() };
        Assert.DoesNotContain(engine.Evaluate(empty), m => m.Rule.Rule.Level >= SigmaLevel.Medium);
    }

    [Fact]
    public void RulesAreBucketedByTheEventTypesTheyCanMatch()
    {
        var process = Compile("selection:\n    Image|endswith: '/x'\ncondition: selection");
        Assert.Equal([EventType.ProcessStart], process.EventTypes);
        var file = Compile("selection:\n    TargetFilename|endswith: '/x'\ncondition: selection", "category: file_event\n    product: linux");
        Assert.Equal([EventType.FileCreate, EventType.FileModify, EventType.FileRename], file.EventTypes);
        var engine = new SigmaEngine([process, file]);
        Assert.Equal([process], engine.Evaluate(Exec("/usr/bin/x", ["x"])).Select(m => m.Rule));
        Assert.Equal([file], engine.Evaluate(FileCreate("/tmp/x", "/usr/bin/x")).Select(m => m.Rule));
    }
}
