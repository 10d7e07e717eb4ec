using Microsoft.Extensions.DependencyInjection;
using Osprey.Contracts.V1;
using Osprey.Detection.Hunting;
using Osprey.Node.Detection;
using Osprey.Node.Hosting;
using Osprey.Node.Storage;
using Osprey.Node.Tests.Support;
using Osprey.Testing.Simulator;

namespace Osprey.Node.Tests.Detection;

/// <summary>
/// A custom rule is a saved hunting query evaluated on the live stream: the events it matches in memory must be exactly the
/// events the same query finds in the events database afterwards.
/// </summary>
public sealed class HuntingMatcherTests(HuntingMatcherTests.StoredEvents stored) : IClassFixture<HuntingMatcherTests.StoredEvents>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static readonly TheoryData<string> Queries =
    [
        "EventType = \"ProcessStart\"",
        "eventtype = \"processstart\"",
        "EventType != \"ProcessStart\"",
        "CommandLine CONTAINS \"BASE64\"",
        "CommandLine NOT CONTAINS \"base64\"",
        "CommandLine STARTS \"curl -fsSL\"",
        "CommandLine ENDS \".sh\"",
        "CommandLine = \"\"",
        "CommandLine != \"\"",
        "CommandLine CONTAINS \"\"",
        "CommandLine CONTAINS \"%\"",
        "CommandLine CONTAINS \"_\"",
        "ProcessName IN (\"CURL\", \"bash\", \"nonexistent\")",
        "ProcessName NOT IN (\"curl\", \"\")",
        "ProcessName IN (\"\")",
        "Pid > 5000 AND Pid <= 5100",
        "RemotePort IN (22, 53, 443)",
        "RemotePort = 0",
        "NOT RemotePort > 1000",
        "EventTime >= \"2026-01-01T00:00:00Z\"",
        "Parent.CommandLine CONTAINS \"base64 -d\"",
        "Parent.Pid > 0",
        "Cwd STARTS \"cwd-1\"",
        "ExitCode = 0",
        "ExitCode > 30000",
        "ExitCode != 0",
        "Direction = \"DIRECTION_OUTBOUND\"",
        "Direction = \"\"",
        "Direction != \"DIRECTION_INBOUND\"",
        "ResolvedIps CONTAINS \"198.51.100.1\"",
        "ResolvedIps = \"\"",
        "NOT ResolvedIps IN (\"198.51.100.7\", \"198.51.100.8\")",
        "PendingDelete = \"true\"",
        "PendingDelete = 0",
        "Job.Enabled != 1",
        "UserName = \"ROOT\" OR (Host ENDS \"-host\" AND NOT EventType IN (\"DnsQuery\", \"FileCreate\"))",
        "(FilePath CONTAINS \"/tmp/\" OR FileName ENDS \".SH\") AND NOT Md5 = \"\"",
        "Environment CONTAINS \"environment-1\"",
    ];

    [Theory]
    [MemberData(nameof(Queries))]
    public async Task InMemoryMatches_AreTheEventsHuntingFinds(string query)
    {
        var (events, agentId, store) = (stored.Events, stored.AgentId, stored.Store);
        var matcher = HuntingMatcher.Compile(query);
        var inMemory = events.Where(e => matcher.Matches(StoredEventRecord.From(e, agentId))).Select(e => e.EventId).Order(StringComparer.Ordinal).ToList();

        var page = await store.SearchAsync(new EventQuery { Query = query, Limit = 10_000 }, Ct);
        var inDatabase = page.Events.Select(e => e.EventId).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(inDatabase, inMemory);
    }

    [Fact]
    public void TheQueriesAreNotTrivial_SomeMatchSomeNot()
    {
        var (events, agentId) = (stored.Events, stored.AgentId);
        foreach (var query in Queries.Select(row => row.Data))
        {
            var matcher = HuntingMatcher.Compile(query);
            var count = events.Count(e => matcher.Matches(StoredEventRecord.From(e, agentId)));
            Assert.True(count < events.Count || query.Contains("CONTAINS \"\"", StringComparison.Ordinal) || query.StartsWith("EventTime", StringComparison.Ordinal), $"'{query}' matches every event");
        }
        Assert.Equal(0, events.Count(e => HuntingMatcher.Compile("ProcessName = \"nonexistent\"").Matches(StoredEventRecord.From(e, agentId))));
    }

    [Theory]
    [InlineData("CommandLine > 5", "cannot be used on text field 'CommandLine'")]
    [InlineData("NoSuchField = 1", "unknown field")]
    [InlineData("CommandLine CONTAINS", "expected a value")]
    [InlineData("Pid = \"abc\"", "expected an integer")]
    public void BadQueries_FailAsHuntingFails(string query, string reason)
    {
        var error = Assert.Throws<HuntingQueryException>(() => HuntingMatcher.Compile(query));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheCanonicalQuery_IsKept()
    {
        Assert.Equal(HuntingQueryFormatter.Format(HuntingQueryParser.Parse("commandline contains 'x'   and pid>1")), HuntingMatcher.Compile("commandline contains 'x'   and pid>1").Query);
    }

    /// <summary>One node and one set of events for every query: the point is the comparison, not the set-up.</summary>
    public sealed class StoredEvents : IAsyncLifetime
    {
        private TestNode? _node;
        private SimulatedAgent? _agent;

        public List<Event> Events { get; } = [];
        public string AgentId => _agent!.AgentId;
        public IEventStore Store => _node!.Services.GetRequiredService<IEventStore>();

        public async ValueTask InitializeAsync()
        {
            _node = await TestNode.StartAsync();
            _agent = await _node.EnrollAsync();
            var generator = new SyntheticEvents(_agent.AgentId, "sim-host", 11);
            var now = NodeClock.ToUs(DateTimeOffset.UtcNow);
            for (var i = 0; i < 600; i++)
            {
                var e = generator.Next((ulong)i + 1, now - i * 1_000_000L);
                Vary(e, i);
                Events.Add(e);
            }
            foreach (var batch in Events.Chunk(200))
            {
                await _agent.SendAsync(batch, false, CancellationToken.None);
            }
        }

        public async ValueTask DisposeAsync()
        {
            _agent?.Dispose();
            if (_node is not null)
            {
                await _node.DisposeAsync();
            }
        }
    }

    // Edges the generator does not produce on its own: empty and upper-case text, defaults, LIKE wildcards in values.
    private static void Vary(Event e, int i)
    {
        switch (i % 9)
        {
            case 0 when e.Process is { } p:
                p.CommandLine = "";
                break;
            case 1 when e.Process is { } p:
                p.CommandLine = p.CommandLine.ToUpperInvariant();
                break;
            case 2 when e.Process is { } p:
                p.CommandLine += " 100%_done";
                break;
            case 3 when e.PayloadCase == Event.PayloadOneofCase.ProcessStop:
                e.ProcessStop.ExitCode = 0;
                break;
            case 4 when e.PayloadCase == Event.PayloadOneofCase.NetworkConnection:
                e.NetworkConnection.Direction = Direction.Unspecified;
                e.NetworkConnection.RemotePort = 0;
                break;
            case 5 when e.PayloadCase == Event.PayloadOneofCase.DnsQuery:
                e.DnsQuery.ResolvedIps.Clear();
                e.DnsQuery.ResolvedIps.Add("");
                break;
            case 6 when e.PayloadCase == Event.PayloadOneofCase.ProcessStart:
                e.ProcessStart.Parent = null;
                break;
            case 8 when e.PayloadCase == Event.PayloadOneofCase.NetworkConnection:
                e.NetworkConnection.Direction = Direction.Inbound;
                break;
            case 8 when e.PayloadCase == Event.PayloadOneofCase.DnsQuery:
                e.DnsQuery.ResolvedIps.Add("198.51.100.8");
                break;
            case 8 when e.PayloadCase == Event.PayloadOneofCase.ServiceChange:
                e.ServiceChange.PendingDelete = false;
                break;
            case 7 when e.Process is { } p:
                p.Name = p.Name.ToUpperInvariant();
                e.User = new UserRef { Name = "Root", Id = "0" };
                break;
        }
    }
}
