using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using Osprey.Agent.Configuration;
using Osprey.Agent.Prevention;
using Osprey.Agent.Sensors;
using Osprey.Agent.Tests.Support;
using Osprey.Contracts.V1;
using Osprey.Testing.Paths;
using Osprey.Testing.Processes;

namespace Osprey.Agent.Tests.Prevention;

/// <summary>
/// The prevention engine under a storm of opens: every permission event is answered, none waits past the deadline,
/// and the decisions stay right. Safety (DESIGN §4): only a tmpfs this test mounts is intercepted.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PreventionStormTests : IEventSink
{
    private const int Shells = 4;
    private const int OpensPerShell = 2_500;

    /// <summary>No open may wait longer than this for its answer (they take tens of microseconds; a lost event waits forever).</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(2);

    private readonly ConcurrentQueue<Event> _events = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public bool TryEmit(Event e)
    {
        _events.Enqueue(e);
        return true;
    }

    [Fact]
    public async Task TenThousandOpens_AreEachAnsweredWithinTheDeadline_AndTheBlockedFileStaysBlockedThroughout()
    {
        RootCheck.Require();
        await using var mount = await TmpfsMount.CreateAsync("osprey-prevention-storm-");
        using var state = new TempDirectory("osprey-prevention-storm-state");
        for (var i = 0; i < 100; i++)
        {
            await File.WriteAllTextAsync(Path.Combine(mount.Path, $"doc-{i}.txt"), $"document {i}\n", Ct);
        }
        var blocked = Path.Combine(mount.Path, "blocked.txt");
        await File.WriteAllTextAsync(blocked, "a file every open of which is refused\n", Ct);
        var md5 = Convert.ToHexStringLower(MD5.HashData(await File.ReadAllBytesAsync(blocked, Ct)));

        using var engine = new PreventionEngine(
            // No ignore marks: the kernel asks about every single open, the heaviest load the engine can get.
            new PreventionOptions { Paths = [mount.Path], MaxIgnoreMarks = 0 },
            Path.Combine(state.Path, "prevention.pb"),
            SensorHarness.ContextFor("prevention", this, new AgentOptions()));
        var applied = engine.Apply(new PreventionPolicy
        {
            Version = 1,
            Rules =
            {
                new PreventionRule
                {
                    RuleId = "storm-block", Md5 = md5, Mode = PreventionMode.Block,
                    Targets = { PreventionTarget.Scripts, PreventionTarget.Documents },
                },
            },
        });
        Assert.Equal(1u, applied.RuleCount);

        // Shells open files by redirection (no fork per open), timing each with bash's microsecond clock; every
        // 50th open is of the blocked file. Each prints its opens, refusals and slowest open in microseconds.
        var script = $$"""
            opens=0; refused=0; slowest=0
            for ((i = 0; i < {{OpensPerShell}}; i++)); do
              if ((i % 50 == 49)); then f='{{blocked}}'; else f="{{mount.Path}}/doc-$((RANDOM % 100)).txt"; fi
              t0=${EPOCHREALTIME/./}
              if ! : < "$f" 2>/dev/null; then refused=$((refused + 1)); fi
              t=$(( ${EPOCHREALTIME/./} - t0 )); ((t > slowest)) && slowest=$t
              opens=$((opens + 1))
            done
            echo "$opens $refused $slowest"
            """;
        var before = engine.Allowed + engine.Blocked;
        var shells = Enumerable.Range(0, Shells).Select(_ => CommandRunner.RunAsync("/bin/bash", ["-c", script], cancellationToken: Ct)).ToList();
        // Were an event never answered, its open would wait for ever: the storm gets two minutes, then the engine is
        // disposed (which lets every pending open through) and the test fails.
        var results = await Task.WhenAll(shells).WaitAsync(TimeSpan.FromMinutes(2), Ct);

        var opens = 0;
        var refused = 0;
        var slowestUs = 0L;
        foreach (var result in results)
        {
            Assert.True(result.ExitCode == 0, result.ToString());
            var fields = result.Stdout.Trim().Split(' ');
            opens += int.Parse(fields[0], CultureInfo.InvariantCulture);
            refused += int.Parse(fields[1], CultureInfo.InvariantCulture);
            slowestUs = Math.Max(slowestUs, long.Parse(fields[2], CultureInfo.InvariantCulture));
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"{opens} opens, {refused} refused, slowest {slowestUs} µs, {engine.Allowed + engine.Blocked - before} events answered");
        Assert.Equal(Shells * OpensPerShell, opens);
        // Exactly the opens of the blocked file were refused, and all of them: the storm did not let one slip.
        Assert.Equal(Shells * OpensPerShell / 50, refused);
        Assert.True(engine.Allowed + engine.Blocked - before >= opens, $"{engine.Allowed + engine.Blocked - before} answers for {opens} opens");
        Assert.True(slowestUs < Deadline.TotalMicroseconds, $"an open waited {slowestUs} µs for its answer");
        Assert.Equal(refused, _events.Count(e => e.PayloadCase == Event.PayloadOneofCase.DocumentBlocked || e.PayloadCase == Event.PayloadOneofCase.ExecutionBlocked));
    }
}
