using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Osprey.Agent.Configuration;
using Osprey.Agent.Prevention;
using Osprey.Agent.Sensors;
using Osprey.Agent.Sensors.Hashing;
using Osprey.Agent.Sensors.Processes;
using Osprey.Bench.Interop;
using Osprey.Contracts.V1;
using Osprey.Testing.Paths;
using Osprey.Testing.Processes;

namespace Osprey.Bench;

/// <summary>
/// prevention-exec: what prevention adds to an exec. A program on a tmpfs the benchmark mounts (the only place it
/// intercepts) is started and waited for, one at a time, without prevention, then with the agent's prevention engine
/// enforcing rule sets that do not match it, the two alternating in rounds: hash rules (after the first exec the kernel stops asking, an ignore mark),
/// path rules for another filesystem (ignore marks too), path rules that could match on the program's filesystem
/// (the program is root's in root's directories, as system programs are: only root could rename it, so it gets an
/// ignore mark too), the same path rules with a copy of the program in a directory anyone may write (every exec
/// answered by the agent, path checked), and hash rules with ignore marks off (every exec answered by the agent from
/// its hash cache). Bounded by the exec count.
/// </summary>
public static class PreventionBenchmark
{
    public static Command Command()
    {
        var execs = new Option<int>("--execs") { DefaultValueFactory = _ => 3000, Description = "Execs measured per configuration" };
        var command = new Command("prevention-exec", "Exec latency added by prevention (fanotify permission events) beside the same execs without it") { execs };
        command.SetAction((parse, ct) => RunAsync(Math.Clamp(parse.GetValue(execs), 100, 100_000), ct));
        return command;
    }

    /// <summary>Baseline and configuration alternate in this many rounds, so drift of the machine falls on both alike.</summary>
    private const int Rounds = 10;

    private static async Task<int> RunAsync(int execs, CancellationToken cancellationToken)
    {
        RootCheck.Require();
        await using var mount = await TmpfsMount.CreateAsync("osprey-bench-prevention-");
        using var state = new TempDirectory("osprey-bench-prevention-state");
        var program = Path.Combine(mount.Path, "program");
        await File.WriteAllBytesAsync(program, [.. await File.ReadAllBytesAsync("/bin/true", cancellationToken), .. Guid.NewGuid().ToByteArray()], cancellationToken);
        File.SetUnixFileMode(program, (UnixFileMode)0b111_101_101);
        // A copy a user could rename (its directory is writable by all): never an ignore mark where path rules reach.
        var shared = Path.Combine(mount.Path, "shared");
        Directory.CreateDirectory(shared);
        File.SetUnixFileMode(shared, (UnixFileMode)0b111_111_111);
        var sharedProgram = Path.Combine(shared, "program");
        File.Copy(program, sharedProgram);
        File.SetUnixFileMode(sharedProgram, (UnixFileMode)0b111_101_101);

        var otherHash = Convert.ToHexStringLower(SHA256.HashData(Guid.NewGuid().ToByteArray()));
        var hashRule = new PreventionRule { RuleId = "h", Sha256 = otherHash, Mode = PreventionMode.Block };
        var pathRuleElsewhere = new PreventionRule { RuleId = "p", PathPattern = "/nonexistent/**", Mode = PreventionMode.Block };
        var pathRuleHere = new PreventionRule { RuleId = "p", PathPattern = mount.Path + "/other-*", Mode = PreventionMode.Block };

        using var engine = Engine(mount.Path, state.Path, maxIgnoreMarks: 16_384);
        using var noIgnoreMarks = Engine(mount.Path, state.Path, maxIgnoreMarks: 0);
        var version = 0UL;
        var baseline = new List<double>();
        (string Name, PreventionEngine Engine, PreventionRule Rule, string Program)[] configurations =
        [
            ("prevention_exec_hash_rules", engine, hashRule, program),
            ("prevention_exec_path_rules_other_filesystem", engine, pathRuleElsewhere, program),
            ("prevention_exec_path_rules_same_filesystem", engine, pathRuleHere, program),
            ("prevention_exec_path_rules_same_filesystem_user_writable_directory", engine, pathRuleHere, sharedProgram),
            ("prevention_exec_hash_rules_no_ignore_marks", noIgnoreMarks, hashRule, program),
        ];
        foreach (var (name, enforcing, rule, executable) in configurations)
        {
            // Without prevention (no rules: nothing marked), then with the rule, round after round.
            var without = new List<double>();
            var with = new List<double>();
            for (var round = 0; round < Rounds; round++)
            {
                enforcing.Apply(new PreventionPolicy { Version = ++version });
                without.AddRange(Measure(executable, execs / Rounds));
                enforcing.Apply(Policy(++version, rule));
                with.AddRange(Measure(executable, execs / Rounds));
            }
            enforcing.Apply(new PreventionPolicy { Version = ++version });
            Report(name, [.. with.Order()], [.. without.Order()]);
            baseline.AddRange(without);
        }
        Report("prevention_exec_baseline", [.. baseline.Order()], null);
        Figures.Print("prevention_decisions", engine.Allowed + noIgnoreMarks.Allowed, "execs");
        return 0;
    }

    private static PreventionPolicy Policy(ulong version, PreventionRule rule) => new() { Version = version, Rules = { rule } };

    private static PreventionEngine Engine(string mount, string state, int maxIgnoreMarks)
    {
        var options = new AgentOptions();
        var hasher = new FileHasher(options.HashMaxBytes);
        var users = new UserDirectory();
        var context = new SensorContext
        {
            Sink = new DiscardSink(),
            Processes = new ProcessTable(ProcessIdentity.ForThisBoot("bench"), hasher, users, []),
            Hasher = hasher,
            Users = users,
            Options = options,
            Health = new SensorHealth("prevention"),
            Time = TimeProvider.System,
            Logger = NullLogger.Instance,
        };
        return new PreventionEngine(new PreventionOptions { Paths = [mount], MaxIgnoreMarks = maxIgnoreMarks }, Path.Combine(state, $"policy-{maxIgnoreMarks}.pb"), context);
    }

    /// <summary>Start-to-reaped time of each of <paramref name="count"/> sequential execs (after a warm-up), in microseconds.</summary>
    private static unsafe double[] Measure(string program, int count)
    {
        var path = (byte*)Marshal.StringToCoTaskMemUTF8(program);
        try
        {
            var argv = stackalloc byte*[] { path, null };
            var envp = stackalloc byte*[] { null };
            var samples = new double[count];
            for (var i = -10; i < count; i++)
            {
                var start = Stopwatch.GetTimestamp();
                var error = Native.PosixSpawn(out var pid, path, 0, 0, argv, envp);
                if (error != 0)
                {
                    throw new InvalidOperationException($"posix_spawn failed: errno {error}");
                }
                while (Native.WaitPid(pid, out _, 0) < 0 && Marshal.GetLastPInvokeError() == Native.EIntr)
                {
                }
                if (i >= 0)
                {
                    samples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                }
            }
            Array.Sort(samples);
            return samples;
        }
        finally
        {
            Marshal.FreeCoTaskMem((nint)path);
        }
    }

    private static void Report(string name, double[] sorted, double[]? baseline)
    {
        Figures.Print(name + "_p50", Percentile(sorted, 0.50), "us");
        Figures.Print(name + "_p99", Percentile(sorted, 0.99), "us");
        if (baseline is not null)
        {
            // The baseline of the same rounds: execs without prevention alternating with these.
            Figures.Print(name + "_without_p50", Percentile(baseline, 0.50), "us");
            Figures.Print(name + "_added_p50", Percentile(sorted, 0.50) - Percentile(baseline, 0.50), "us");
        }
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    private sealed class DiscardSink : IEventSink
    {
        public bool TryEmit(Event e) => true;
    }
}
