using Osprey.Agent.Sensors.Processes;

namespace Osprey.Agent.Forensics;

/// <summary>The autorun sources: where each kind lives and how its files are read.</summary>
internal sealed partial class AutorunCollector
{
    private static readonly string[] SystemUnitDirectories =
        ["/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"];

    private static readonly string[] UserUnitDirectories = ["/etc/systemd/user", "/usr/local/lib/systemd/user", "/lib/systemd/user", "/usr/lib/systemd/user"];

    private static readonly string[] UnitKinds = [".service", ".timer", ".socket", ".path"];

    private static readonly string[] ProfileFiles =
        ["/etc/profile", "/etc/bash.bashrc", "/etc/bashrc", "/etc/zshrc", "/etc/zsh/zshrc", "/etc/zsh/zprofile", "/etc/zsh/zshenv", "/etc/zsh/zlogin"];

    private static readonly string[] HomeProfileFiles =
        [".profile", ".bashrc", ".bash_profile", ".bash_login", ".bash_logout", ".zshrc", ".zprofile", ".zshenv", ".zlogin"];

    /// <summary>
    /// Enabled units (named in a .wants, .requires or .upholds directory) of the system and of each user, and every unit
    /// an administrator or user put in their own directory (enabled or not); vendor units nothing enables are left out.
    /// </summary>
    private void Systemd(IReadOnlyList<UserAccount> accounts)
    {
        SystemdScope(SystemUnitDirectories, ["/etc/systemd/system", "/run/systemd/system"], null);
        SystemdScope(UserUnitDirectories, ["/etc/systemd/user"], null);
        foreach (var account in accounts.DistinctBy(a => a.Home))
        {
            var own = account.Home.TrimEnd('/') + "/.config/systemd/user";
            SystemdScope([own, .. UserUnitDirectories], [own], account.Name);
        }
    }

    private void SystemdScope(string[] directories, string[] ownDirectories, string? user)
    {
        var enabled = new HashSet<string>(StringComparer.Ordinal);
        foreach (var directory in directories)
        {
            if (Resolve(Real(directory)) is not { } real || !Directory.Exists(real))
            {
                continue;
            }
            foreach (var wants in Directory.EnumerateDirectories(real).Where(d => d.EndsWith(".wants", StringComparison.Ordinal) || d.EndsWith(".requires", StringComparison.Ordinal) || d.EndsWith(".upholds", StringComparison.Ordinal)))
            {
                enabled.UnionWith(Directory.EnumerateFileSystemEntries(wants).Select(Path.GetFileName)!);
            }
        }
        var own = ownDirectories.SelectMany(d => Files(d)).Select(Path.GetFileName);
        foreach (var name in enabled.Concat(own!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            if (!UnitKinds.Any(k => name!.EndsWith(k, StringComparison.Ordinal)) || FindUnit(directories, name!) is not { } file)
            {
                continue;
            }
            var (exec, runAs, triggers, unit) = AutorunParsers.SystemdUnit(Read(file) ?? "");
            var isEnabled = enabled.Contains(name!);
            var runsAs = user ?? (runAs.Length > 0 ? runAs : "root");
            if (name!.EndsWith(".service", StringComparison.Ordinal))
            {
                Add("systemd-unit", file, new AutorunCommand(0, string.Join("; ", exec.Select(e => e.Command)), runsAs, isEnabled), MainCommand(exec));
                continue;
            }
            // A timer, socket or path unit starts another unit (Unit=, else the .service of the same name).
            var target = unit.Length > 0 ? unit : name[..name.LastIndexOf('.')] + ".service";
            var targetExec = FindUnit(directories, target) is { } targetFile ? AutorunParsers.SystemdUnit(Read(targetFile) ?? "").Exec : [];
            var starts = MainCommand(targetExec);
            var command = $"{triggers} -> {target}" + (starts is null ? "" : $": {starts}");
            Add(name.EndsWith(".timer", StringComparison.Ordinal) ? "systemd-timer" : "systemd-unit", file, new AutorunCommand(0, command.TrimStart(), runsAs, isEnabled), starts);
        }
    }

    // What a service is there to run: ExecStart, not the commands around it.
    private static string? MainCommand(List<AutorunCommand> exec) =>
        (exec.FirstOrDefault(e => e.Command.StartsWith("ExecStart=", StringComparison.Ordinal)) ?? exec.FirstOrDefault())?.Command;

    // The unit file by precedence; an instance ("getty@tty1.service") from its template ("getty@.service"). A unit
    // linked to /dev/null is masked: none.
    private string? FindUnit(string[] directories, string name)
    {
        var at = name.IndexOf('@', StringComparison.Ordinal);
        var template = at > 0 ? name[..(at + 1)] + name[name.LastIndexOf('.')..] : null;
        foreach (var candidate in template is null ? [name] : new[] { name, template })
        {
            foreach (var directory in directories)
            {
                var path = Real(directory + "/" + candidate);
                if (Interop.Libc.Stat(path, followLinks: false, out _) is null)
                {
                    continue;
                }
                var real = Resolve(path);
                return real is null || real == Real("/dev/null") || new FileInfo(path).LinkTarget == "/dev/null" ? null : path;
            }
        }
        return null;
    }

    private void Cron()
    {
        var systemTables = new[] { Real("/etc/crontab") }.Concat(Files("/etc/cron.d"));
        foreach (var file in systemTables)
        {
            if (Read(file) is { } text)
            {
                AutorunParsers.Crontab(text, system: true, "").ForEach(c => Add("cron", file, c));
            }
        }
        foreach (var file in Files("/var/spool/cron/crontabs").Concat(Files("/var/spool/cron")))
        {
            if (Read(file) is { } text)
            {
                AutorunParsers.Crontab(text, system: false, Path.GetFileName(file)).ForEach(c => Add("cron", file, c));
            }
        }
        if (Read(Real("/etc/anacrontab")) is { } anacron)
        {
            AutorunParsers.Anacrontab(anacron).ForEach(c => Add("cron", Real("/etc/anacrontab"), c));
        }
        foreach (var period in new[] { "hourly", "daily", "weekly", "monthly" })
        {
            foreach (var script in Files($"/etc/cron.{period}"))
            {
                var path = $"/etc/cron.{period}/{Path.GetFileName(script)}";
                Add("cron", script, new AutorunCommand(0, path, "root"));
            }
        }
    }

    private void AtJobs()
    {
        foreach (var file in Files("/var/spool/cron/atjobs").Concat(Files("/var/spool/at")).Where(f => !Path.GetFileName(f).StartsWith('.')))
        {
            if (Read(file) is { } text)
            {
                Add("at-job", file, new AutorunCommand(0, AutorunParsers.ScriptBody(text, atJob: true), OwnerName(file)));
            }
        }
    }

    private void RcLocal()
    {
        foreach (var file in new[] { "/etc/rc.local", "/etc/rc.d/rc.local" }.Select(Real))
        {
            if (Read(file) is { } text)
            {
                var executable = Interop.Libc.Stat(file, followLinks: true, out _) is { } status && (status.Mode & 0x49) != 0;
                Add("rc-local", file, new AutorunCommand(0, AutorunParsers.ScriptBody(text, atJob: false), "root", executable));
            }
        }
    }

    /// <summary>SysV scripts of /etc/init.d; enabled when a runlevel 2-5 directory starts it (an S link).</summary>
    private void InitScripts()
    {
        var started = new HashSet<string>(StringComparer.Ordinal);
        foreach (var level in new[] { 2, 3, 4, 5 })
        {
            var directory = Real($"/etc/rc{level}.d");
            if (Directory.Exists(directory))
            {
                started.UnionWith(Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName).Where(n => n!.Length > 3 && n[0] == 'S').Select(n => n![3..]));
            }
        }
        foreach (var script in Files("/etc/init.d"))
        {
            var name = Path.GetFileName(script);
            Add("init-script", script, new AutorunCommand(0, "/etc/init.d/" + name, "root", started.Contains(name)));
        }
    }

    private void ShellProfiles(IReadOnlyList<UserAccount> accounts)
    {
        foreach (var file in ProfileFiles.Select(Real).Concat(Files("/etc/profile.d")).Where(File.Exists))
        {
            Add("shell-profile", file, new AutorunCommand(0, ""));
        }
        foreach (var account in accounts.DistinctBy(a => a.Home))
        {
            foreach (var name in HomeProfileFiles)
            {
                var file = Real(account.Home.TrimEnd('/') + "/" + name);
                if (File.Exists(file))
                {
                    Add("shell-profile", file, new AutorunCommand(0, "", account.Name));
                }
            }
        }
    }

    private void XdgAutostart(IReadOnlyList<UserAccount> accounts)
    {
        var desktops = Files("/etc/xdg/autostart", ".desktop").Select(f => (File: f, User: ""))
            .Concat(accounts.DistinctBy(a => a.Home).SelectMany(a => Files(a.Home.TrimEnd('/') + "/.config/autostart", ".desktop").Select(f => (File: f, User: a.Name))));
        foreach (var (file, user) in desktops)
        {
            if (Read(file) is { } text && AutorunParsers.Desktop(text, user) is { } command)
            {
                Add("xdg-autostart", file, command);
            }
        }
    }

    private void LdPreload()
    {
        var file = Real("/etc/ld.so.preload");
        if (Read(file) is { } text)
        {
            AutorunParsers.LdPreload(text).ForEach(c => Add("ld-preload", file, c));
        }
    }

    private void KernelModules()
    {
        var lists = new[] { Real("/etc/modules") }
            .Concat(new[] { "/etc/modules-load.d", "/run/modules-load.d", "/usr/local/lib/modules-load.d", "/lib/modules-load.d", "/usr/lib/modules-load.d" }.SelectMany(d => Files(d, ".conf")));
        foreach (var file in lists)
        {
            if (Read(file) is { } text)
            {
                AutorunParsers.ModulesLoad(text).ForEach(c => Add("kernel-module", file, c));
            }
        }
        foreach (var file in new[] { "/etc/modprobe.d", "/run/modprobe.d", "/lib/modprobe.d", "/usr/lib/modprobe.d" }.SelectMany(d => Files(d, ".conf")))
        {
            if (Read(file) is { } text)
            {
                AutorunParsers.ModprobeInstall(text).ForEach(c => Add("kernel-module", file, c));
            }
        }
    }

    private void Udev()
    {
        foreach (var file in new[] { "/etc/udev/rules.d", "/run/udev/rules.d", "/lib/udev/rules.d", "/usr/lib/udev/rules.d" }.SelectMany(d => Files(d, ".rules")))
        {
            if (Read(file) is { } text)
            {
                AutorunParsers.UdevRules(text).ForEach(c => Add("udev-rule", file, c));
            }
        }
    }

    private void AuthorizedKeys(IReadOnlyList<UserAccount> accounts)
    {
        foreach (var account in accounts.DistinctBy(a => a.Home))
        {
            foreach (var name in new[] { "/.ssh/authorized_keys", "/.ssh/authorized_keys2" })
            {
                var file = Real(account.Home.TrimEnd('/') + name);
                if (Read(file) is { } text)
                {
                    AutorunParsers.AuthorizedKeys(text, account.Name).ForEach(c => Add("authorized-key", file, c));
                }
            }
        }
    }
}
