using Osprey.Contracts.Processes;
using Osprey.Contracts.V1;

namespace Osprey.Detection.Tests.Sigma;

/// <summary>Hand-built Osprey events shaped as the Linux agent sends them (command lines quoted the agent's way).</summary>
internal static class SigmaEvents
{
    private static readonly DeviceRef Linux = new() { HostName = "web-01", AgentId = "agent-1", OsFamily = OsFamily.Linux, OsName = "Debian GNU/Linux" };

    /// <summary>argv joined the agent's way: an argument with a space, tab, newline, quote or backslash (or empty) is quoted, with \" and \\ escaped.</summary>
    public static string CommandLine(params string[] arguments) => CommandLines.Join(arguments);

    public static ProcessRef Process(string path, string commandLine, int pid = 4242) => new()
    {
        UniquePid = $"u-{pid}",
        Pid = pid,
        Name = Path.GetFileName(path),
        File = new FileRef { Path = path, Name = Path.GetFileName(path), Md5 = "0123456789abcdef0123456789abcdef", Sha256 = new string('a', 64) },
        CommandLine = commandLine,
    };

    /// <summary>A process start (an execve) of <paramref name="argv"/> run from <paramref name="image"/>, child of <paramref name="parentImage"/>.</summary>
    public static Event Exec(string image, string[] argv, string parentImage = "/usr/bin/bash", string[]? parentArgv = null,
        string user = "root", string uid = "0", string cwd = "/root", string spawn = "execve", OsFamily os = OsFamily.Linux)
    {
        return new Event
        {
            EventId = Guid.NewGuid().ToString("D"),
            Type = EventType.ProcessStart,
            Device = new DeviceRef(Linux) { OsFamily = os },
            User = new UserRef { Name = user, Id = uid },
            Process = Process(image, CommandLine(argv)),
            ParentUniquePid = "u-100",
            ProcessStart = new ProcessStartEvent
            {
                Parent = Process(parentImage, CommandLine(parentArgv ?? [Path.GetFileName(parentImage)]), 100),
                Cwd = cwd,
                ParentPid = 100,
                SessionId = "7",
                SpawnSyscall = spawn,
                Tty = "pts/0",
                Credentials = new ProcessCredentials
                {
                    User = new UserRef { Name = user, Id = uid },
                    EffectiveUser = new UserRef { Name = user, Id = uid },
                    Group = new GroupRef { Id = uid },
                    EffectiveGroup = new GroupRef { Id = uid },
                    LoginUser = new UserRef { Name = user, Id = uid },
                },
            },
        };
    }

    public static Event FileCreate(string path, string image = "/usr/bin/touch") =>
        FileEvent(EventType.FileCreate, path, image, e => e.FileCreate = new FileEvent { File = FileOf(path), Changes = { "created" } });

    public static Event FileModify(string path, string image = "/usr/bin/vi", params string[] changes) =>
        FileEvent(EventType.FileModify, path, image, e => e.FileModify = new FileEvent { File = FileOf(path), Changes = { changes.Length == 0 ? ["content"] : changes } });

    public static Event FileDelete(string path, string image = "/usr/bin/rm") =>
        FileEvent(EventType.FileDelete, path, image, e => e.FileDelete = new FileEvent { File = FileOf(path), Changes = { "deleted" } });

    public static Event FileRename(string oldPath, string newPath, string image = "/usr/bin/mv") =>
        FileEvent(EventType.FileRename, newPath, image, e => e.FileRename = new FileRenameEvent { File = FileOf(newPath), OldPath = oldPath });

    public static Event Connection(string image, string localIp, int localPort, string remoteIp, int remotePort, Direction direction = Direction.Outbound, string protocol = "tcp") => new()
    {
        EventId = Guid.NewGuid().ToString("D"),
        Type = EventType.NetworkConnection,
        Device = Linux,
        User = new UserRef { Name = "www-data", Id = "33" },
        Process = Process(image, Path.GetFileName(image)),
        NetworkConnection = new NetworkConnectionEvent
        {
            LocalIp = localIp, LocalPort = localPort, RemoteIp = remoteIp, RemotePort = remotePort, Direction = direction, Protocol = protocol,
        },
    };

    public static Event Dns(string name, string image = "/usr/bin/curl", string responseCode = "NOERROR", params string[] addresses)
    {
        var e = new Event
        {
            EventId = Guid.NewGuid().ToString("D"),
            Type = EventType.DnsQuery,
            Device = Linux,
            User = new UserRef { Name = "alice", Id = "1000" },
            Process = Process(image, Path.GetFileName(image)),
            DnsQuery = new DnsQueryEvent { Name = name, QueryType = "A", DnsServer = "127.0.0.53", ResponseCode = responseCode },
        };
        e.DnsQuery.ResolvedIps.AddRange(addresses);
        return e;
    }

    private static FileRef FileOf(string path) => new() { Path = path, Name = Path.GetFileName(path) };

    private static Event FileEvent(EventType type, string path, string image, Action<Event> payload)
    {
        var e = new Event
        {
            EventId = Guid.NewGuid().ToString("D"),
            Type = type,
            Device = Linux,
            User = new UserRef { Name = "root", Id = "0" },
            Process = Process(image, Path.GetFileName(image)),
        };
        payload(e);
        return e;
    }
}
