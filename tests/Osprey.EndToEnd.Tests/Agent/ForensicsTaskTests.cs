using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Osprey.Contracts.Identity;
using Osprey.Testing.Paths;
using Osprey.Testing.Processes;
using static Osprey.EndToEnd.Tests.Agent.AgentTaskTests;

namespace Osprey.EndToEnd.Tests.Agent;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
/// <summary>
/// Forensic collection tasks end to end through the CLI with a real node and agent: images and dumps fetched back from
/// Storage and checked with sha256sum, readelf and gdb; file information against stat; autoruns against files the test
/// planted; the RAM image against what the kernel offers.
/// </summary>
public sealed class ForensicsTaskTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task DiskImage_OfAFileAndALoopDevice_HashesAsSha256sum()
    {
        await using var h = await AgentOnNode.StartAsync(["mount"], null, Ct);
        using var dir = new TempDirectory("osprey-disk");
        var source = Path.Combine(dir.Path, "disk.img");
        var content = new byte[(5 << 20) + 4096];
        new Random(7).NextBytes(content);
        await File.WriteAllBytesAsync(source, content, Ct);

        var image = await CreateAndWaitAsync(h, "disk-image", "--param", $"device={source}");
        Assert.Equal("completed", image.GetProperty("state").GetString());
        var stored = Result(image, "diskImage").GetProperty("image");
        Assert.Equal(await Sha256SumAsync(source), stored.GetProperty("sha256").GetString());
        Assert.Equal(await ToolHashAsync("md5sum", source), stored.GetProperty("md5").GetString());
        Assert.Equal(content.Length.ToString(CultureInfo.InvariantCulture), stored.GetProperty("size").GetString());
        Assert.Equal(content, await GetStoredAsync(h, stored.GetProperty("sha256").GetString()!, dir.Path));

        // The first MiB only: the image is what head -c gives.
        var head = await CreateAndWaitAsync(h, "disk-image", "--param", $"device={source}", "--param", "maxBytes=1048576");
        var bounded = Result(head, "diskImage");
        Assert.True(bounded.GetProperty("truncated").GetBoolean());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content.AsSpan(0, 1 << 20))), bounded.GetProperty("image").GetProperty("sha256").GetString());

        // A loop device over the file: a real block device, which stat sizes as 0.
        var attach = await CommandRunner.RunAsync("losetup", ["--find", "--show", "--read-only", source], cancellationToken: Ct);
        Assert.True(attach.ExitCode == 0, attach.ToString());
        var loop = attach.Stdout.Trim();
        try
        {
            var device = await CreateAndWaitAsync(h, "disk-image", "--param", $"device={loop}");
            Assert.Equal("completed", device.GetProperty("state").GetString());
            var result = Result(device, "diskImage");
            Assert.Equal(await Sha256SumAsync(loop), result.GetProperty("image").GetProperty("sha256").GetString());
            Assert.Equal(content.Length.ToString(CultureInfo.InvariantCulture), result.GetProperty("sourceBytes").GetString());
        }
        finally
        {
            await CommandRunner.RunAsync("losetup", ["-d", loop], cancellationToken: CancellationToken.None);
        }

        // A character device has no end: refused, nothing read.
        var zero = await CreateAndWaitAsync(h, "disk-image", "--param", "device=/dev/zero");
        Assert.Equal("failed", zero.GetProperty("state").GetString());
        Assert.Contains("/dev/zero is a char-device; disk-image reads block devices and regular files", Errors(zero));
    }

    [Fact]
    public async Task FileInfo_ById_FindsEveryHardLink_AndADeletedFileAProcessHoldsOpen_MatchingStat()
    {
        await using var h = await AgentOnNode.StartAsync(["mount"], null, Ct);
        using var dir = new TempDirectory("osprey-fileinfo");
        // A file system of the test's own: its device has a small, known tree to search.
        var mount = await CommandRunner.RunAsync("mount", ["-t", "tmpfs", "-o", "size=16m", "osprey-fileinfo", dir.Path], cancellationToken: Ct);
        Assert.True(mount.ExitCode == 0, mount.ToString());
        try
        {
            Directory.CreateDirectory(Path.Combine(dir.Path, "a", "b"));
            var file = Path.Combine(dir.Path, "a", "b", "evidence.bin");
            var link = Path.Combine(dir.Path, "second-name");
            await File.WriteAllTextAsync(file, "osprey file-info " + Guid.NewGuid(), Ct);
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
            Assert.Equal(0, (await CommandRunner.RunAsync("ln", [file, link], cancellationToken: Ct)).ExitCode);
            var truth = await StatAsync(file);

            var info = await CreateAndWaitAsync(h, "file-info", "--param", $"fileId={truth["id"]}", "--param", "contents=true");
            Assert.Equal("completed", info.GetProperty("state").GetString());
            var result = Result(info, "fileInfo");
            Assert.Equal(truth["id"], result.GetProperty("fileId").GetString());
            Assert.Equal(new[] { file, link }.Order(StringComparer.Ordinal), result.GetProperty("paths").EnumerateArray().Select(p => p.GetString()!).Order(StringComparer.Ordinal));
            AssertMatchesStat(truth, result);
            Assert.Equal(await Sha256SumAsync(file), result.GetProperty("file").GetProperty("sha256").GetString());
            Assert.Equal(await ToolHashAsync("md5sum", file), result.GetProperty("file").GetProperty("md5").GetString());
            Assert.Equal(await File.ReadAllBytesAsync(file, Ct), await GetStoredAsync(h, result.GetProperty("contents").GetProperty("sha256").GetString()!, Path.GetTempPath()));

            // By path, on the root file system: the same facts.
            var byPath = await CreateAndWaitAsync(h, "file-info", "--param", "path=/etc/passwd");
            AssertMatchesStat(await StatAsync("/etc/passwd"), Result(byPath, "fileInfo"));

            // Deleted while a process holds it open: found through the process, contents still readable.
            var held = Path.Combine(dir.Path, "held.bin");
            await File.WriteAllTextAsync(held, "deleted but open " + Guid.NewGuid(), Ct);
            var heldTruth = await StatAsync(held);
            var heldSha = await Sha256SumAsync(held);
            using var holder = Process.Start("/bin/sh", ["-c", $"exec 3<'{held}'; exec sleep 300"]);
            try
            {
                await WaitUntilAsync(() => Directory.Exists($"/proc/{holder.Id}/fd") && Directory.EnumerateFileSystemEntries($"/proc/{holder.Id}/fd").Any(fd => new FileInfo(fd).LinkTarget == held), "the holder to open the file");
                File.Delete(held);
                var gone = await CreateAndWaitAsync(h, "file-info", "--param", $"fileId={heldTruth["id"]}");
                Assert.Equal("completed", gone.GetProperty("state").GetString());
                var found = Result(gone, "fileInfo");
                Assert.False(found.TryGetProperty("paths", out _), "a deleted file has no path");
                Assert.StartsWith($"/proc/{holder.Id}/fd/", found.GetProperty("openIn").GetString(), StringComparison.Ordinal);
                Assert.Equal(heldSha, found.GetProperty("file").GetProperty("sha256").GetString());
                Assert.Equal(held + " (deleted)", found.GetProperty("file").GetProperty("path").GetString());
            }
            finally
            {
                holder.Kill();
                await holder.WaitForExitAsync(Ct);
            }

            var bad = await CreateAndWaitAsync(h, "file-info", "--param", "fileId=not-an-id");
            Assert.Equal("failed", bad.GetProperty("state").GetString());
            Assert.Contains("'not-an-id' is not a file ID", Errors(bad));
            var mismatch = await CreateAndWaitAsync(h, "file-info", "--param", $"fileId={truth["id"]}", "--param", "path=/etc/passwd");
            Assert.Contains($"is the file {(await StatAsync("/etc/passwd"))["id"]}, not {truth["id"]}", Errors(mismatch));
        }
        finally
        {
            await CommandRunner.RunAsync("umount", [dir.Path], cancellationToken: CancellationToken.None);
        }
    }

    [Fact]
    public async Task MemoryDump_IsACoreFileGdbOpens_HoldingAMarkerFromTheProcessMemory()
    {
        await using var h = await AgentOnNode.StartAsync(["mount"], null, Ct);
        using var dir = new TempDirectory("osprey-dump");
        // The marker reaches the shell through its standard input, so it is in the shell's heap and not on any command line.
        var marker = "osprey-marker-" + Guid.NewGuid().ToString("N");
        var start = new ProcessStartInfo("/bin/bash", ["-c", "read -r secret; while :; do sleep 1; done"]) { RedirectStandardInput = true };
        using var shell = Process.Start(start)!;
        try
        {
            await shell.StandardInput.WriteLineAsync(marker.AsMemory(), Ct);
            await shell.StandardInput.FlushAsync(Ct);
            await WaitUntilAsync(() => Children(shell.Id).Count > 0, "the shell to read the marker and loop");

            var uniquePid = UniquePidOf(h, shell.Id);
            var dump = await CreateAndWaitAsync(h, "memory-dump", "--param", $"uniquePid={uniquePid}");
            Assert.Equal("completed", dump.GetProperty("state").GetString());
            var result = Result(dump, "memoryDump");
            Assert.Equal(shell.Id, result.GetProperty("pid").GetInt32());
            Assert.Equal(uniquePid, result.GetProperty("uniquePid").GetString());
            Assert.Equal("bash", result.GetProperty("processName").GetString());
            Assert.Equal((await CommandRunner.RunAsync("realpath", ["/bin/bash"], cancellationToken: Ct)).Stdout.Trim(), result.GetProperty("processPath").GetString());
            Assert.True(result.GetProperty("registers").GetBoolean(), "the shell's registers were not captured");
            Assert.False(shell.HasExited, "the dump harmed the process");
            var core = Path.Combine(dir.Path, "core");
            var sha256 = result.GetProperty("dump").GetProperty("sha256").GetString()!;
            var bytes = await GetStoredAsync(h, sha256, dir.Path, core);
            Assert.Equal(sha256, await Sha256SumAsync(core));
            Assert.Equal(bytes.LongLength.ToString(CultureInfo.InvariantCulture), result.GetProperty("dump").GetProperty("size").GetString());
            Assert.True(bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(marker)) >= 0, "the marker in the shell's memory is not in its dump");

            // A valid ELF core: readelf reads its header and segments, gdb opens it with the executable and walks the stack.
            var header = await CommandRunner.RunAsync("readelf", ["-h", core], cancellationToken: Ct);
            Assert.Contains("CORE (Core file)", header.Stdout, StringComparison.Ordinal);
            var segments = await CommandRunner.RunAsync("readelf", ["-lW", core], cancellationToken: Ct);
            Assert.True(segments.ExitCode == 0 && segments.Stderr.Length == 0, segments.ToString());
            Assert.Contains("NOTE", segments.Stdout, StringComparison.Ordinal);
            Assert.Equal(result.GetProperty("segments").GetInt32(), segments.Stdout.Split('\n').Count(l => l.TrimStart().StartsWith("LOAD", StringComparison.Ordinal)));
            var notes = await CommandRunner.RunAsync("readelf", ["-n", core], cancellationToken: Ct);
            foreach (var note in new[] { "NT_PRSTATUS", "NT_FPREGSET", "NT_PRPSINFO", "NT_AUXV", "NT_FILE" })
            {
                Assert.Contains(note, notes.Stdout, StringComparison.Ordinal);
            }
            // gdb, given the executable, names the process, walks the stack from the captured registers down to main,
            // and lists the mapped files from NT_FILE.
            var bash = (await CommandRunner.RunAsync("realpath", ["/bin/bash"], cancellationToken: Ct)).Stdout.Trim();
            var gdb = await CommandRunner.RunAsync(
                "gdb", ["--batch", "-nx", "-ex", "info inferiors", "-ex", "bt", "-ex", "info proc mappings", "/bin/bash", core], cancellationToken: Ct);
            Assert.True(gdb.ExitCode == 0, gdb.ToString());
            Assert.DoesNotContain("is not a core dump", gdb.Stdout + gdb.Stderr, StringComparison.Ordinal);
            Assert.Contains("Core was generated by `/bin/bash -c read -r secret", gdb.Stdout, StringComparison.Ordinal);
            Assert.Contains($"process {shell.Id}", gdb.Stdout, StringComparison.Ordinal);
            Assert.Matches(@"#0 +0x[0-9a-f]+ in \w+", gdb.Stdout);
            Assert.Contains(" in main ()", gdb.Stdout, StringComparison.Ordinal);
            Assert.Matches($@"0x[0-9a-f]+ +0x[0-9a-f]+ +0x[0-9a-f]+ +0x0 +{bash}\n", gdb.Stdout);

            // A UniquePID the PID no longer has: refused, nothing dumped.
            var stale = UniquePid.Compute(h.Agent.AgentId!, BootId(), shell.Id, StartTicks(shell.Id) - 1);
            var refused = await CreateAndWaitAsync(h, "memory-dump", "--param", $"pid={shell.Id}", "--param", $"uniquePid={stale}");
            Assert.Equal("failed", refused.GetProperty("state").GetString());
            Assert.Contains($"PID {shell.Id} is not the process with UniquePID {stale}", Errors(refused));
        }
        finally
        {
            shell.Kill(entireProcessTree: true);
            await shell.WaitForExitAsync(Ct);
        }
    }

    [Fact]
    public async Task Autoruns_FindEveryKindPlantedUnderARoot_WithCommandsOwnersAndHashes()
    {
        await using var h = await AgentOnNode.StartAsync(["mount"], null, Ct);
        using var root = new TempDirectory("osprey-autoruns");
        var r = root.Path;
        void Plant(string path, string text, UnixFileMode? mode = null)
        {
            var full = r + path;
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, text);
            if (mode is { } m)
            {
                File.SetUnixFileMode(full, m);
            }
        }
        const UnixFileMode Executable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;
        Plant("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n");
        Plant("/etc/group", "root:x:0:\nalice:x:1000:\n");
        Plant("/etc/crontab", "SHELL=/bin/sh\n# m h dom mon dow user command\n17 * * * * root cd / && run-parts --report /etc/cron.hourly\n");
        Plant("/etc/cron.d/osprey-planted", "MAILTO=\"\"\n*/5 * * * *  root  /usr/local/bin/planted-cron --beacon\n");
        Plant("/var/spool/cron/crontabs/alice", "# user table\n@reboot /home/alice/.local/bin/agent\n");
        Plant("/etc/cron.daily/planted-daily", "#!/bin/sh\n/usr/local/bin/daily\n", Executable);
        Plant("/usr/local/bin/planted-service", "#!/bin/sh\necho planted " + Guid.NewGuid() + "\n", Executable);
        Plant("/etc/systemd/system/planted.service", "[Unit]\nDescription=planted\n[Service]\nUser=alice\nExecStartPre=-/bin/true\nExecStart=/usr/local/bin/planted-service --flag\n[Install]\nWantedBy=multi-user.target\n");
        Plant("/etc/systemd/system/planted.timer", "[Timer]\nOnCalendar=hourly\n[Install]\nWantedBy=timers.target\n");
        Plant("/etc/systemd/system/idle.service", "[Service]\nExecStart=/bin/true\n");
        Directory.CreateDirectory(r + "/etc/systemd/system/multi-user.target.wants");
        Directory.CreateDirectory(r + "/etc/systemd/system/timers.target.wants");
        // Absolute link targets, as systemctl enable writes them: they name paths of the examined system.
        File.CreateSymbolicLink(r + "/etc/systemd/system/multi-user.target.wants/planted.service", "/etc/systemd/system/planted.service");
        File.CreateSymbolicLink(r + "/etc/systemd/system/timers.target.wants/planted.timer", "/etc/systemd/system/planted.timer");
        Plant("/etc/rc.local", "#!/bin/sh -e\n/opt/rc-thing &\nexit 0\n", Executable);
        Plant("/etc/init.d/planted", "#!/bin/sh\n", Executable);
        Directory.CreateDirectory(r + "/etc/rc2.d");
        File.CreateSymbolicLink(r + "/etc/rc2.d/S01planted", "../init.d/planted");
        Plant("/etc/init.d/dormant", "#!/bin/sh\n", Executable);
        Plant("/etc/profile.d/planted.sh", "export PLANTED=1\n");
        Plant("/home/alice/.bashrc", "alias ls='ls; /tmp/x'\n");
        Plant("/home/alice/.config/autostart/planted.desktop", "[Desktop Entry]\nType=Application\nName=x\nExec=/home/alice/.local/bin/agent --tray\n");
        Plant("/etc/xdg/autostart/off.desktop", "[Desktop Entry]\nExec=/usr/bin/off\nHidden=true\n");
        Plant("/home/alice/.ssh/authorized_keys", "command=\"/usr/local/bin/forced --x\",no-pty ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPlanted alice@host\nssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ bob@host\n");
        Plant("/etc/ld.so.preload", "/usr/local/lib/libplanted.so\n");
        Plant("/etc/modules-load.d/planted.conf", "# modules\nplanted_mod\n");
        Plant("/etc/modprobe.d/planted.conf", "options x y=1\ninstall usb_storage /bin/sh -c 'echo pwned'\n");
        Plant("/etc/udev/rules.d/99-planted.rules", "ACTION==\"add\", SUBSYSTEM==\"usb\", RUN+=\"/usr/local/bin/on-usb %k\"\n");
        Plant("/var/spool/cron/atjobs/a0001a01a2b3c4", "#!/bin/sh\n# atrun uid=0 gid=0\numask 22\nPATH=/usr/bin; export PATH\ncd /root || {\n\t echo 'Execution directory inaccessible' >&2\n\t exit 1\n}\n/usr/local/bin/at-planted --once\n");

        var task = await CreateAndWaitAsync(h, "autoruns", "--param", $"root={r}", "--param", "hashes=true");
        Assert.Equal("completed", task.GetProperty("state").GetString());
        var entries = Result(task, "autoruns").GetProperty("entries").EnumerateArray().ToList();
        JsonElement Entry(string type, string location) =>
            Assert.Single(entries, e => e.GetProperty("type").GetString() == type && e.GetProperty("location").GetString() == r + location);
        void Expect(string type, string location, string command, string user, bool enabled = true)
        {
            var entry = Entry(type, location);
            Assert.Equal(command, entry.TryGetProperty("command", out var c) ? c.GetString() : "");
            Assert.Equal(user, entry.TryGetProperty("user", out var u) ? u.GetString() : "");
            Assert.Equal(enabled, entry.TryGetProperty("enabled", out var e) && e.GetBoolean());
        }
        Expect("cron", "/etc/crontab:3", "cd / && run-parts --report /etc/cron.hourly", "root");
        Expect("cron", "/etc/cron.d/osprey-planted:2", "/usr/local/bin/planted-cron --beacon", "root");
        Expect("cron", "/var/spool/cron/crontabs/alice:2", "/home/alice/.local/bin/agent", "alice");
        Expect("cron", "/etc/cron.daily/planted-daily", "/etc/cron.daily/planted-daily", "root");
        Expect("systemd-unit", "/etc/systemd/system/planted.service", "ExecStartPre=/bin/true; ExecStart=/usr/local/bin/planted-service --flag", "alice");
        Expect("systemd-timer", "/etc/systemd/system/planted.timer", "OnCalendar=hourly -> planted.service: ExecStart=/usr/local/bin/planted-service --flag", "root");
        Expect("systemd-unit", "/etc/systemd/system/idle.service", "ExecStart=/bin/true", "root", enabled: false);
        Expect("rc-local", "/etc/rc.local", "/opt/rc-thing &", "root");
        Expect("init-script", "/etc/init.d/planted", "/etc/init.d/planted", "root");
        Expect("init-script", "/etc/init.d/dormant", "/etc/init.d/dormant", "root", enabled: false);
        Expect("shell-profile", "/etc/profile.d/planted.sh", "", "");
        Expect("shell-profile", "/home/alice/.bashrc", "", "alice");
        Expect("xdg-autostart", "/home/alice/.config/autostart/planted.desktop:4", "/home/alice/.local/bin/agent --tray", "alice");
        Expect("xdg-autostart", "/etc/xdg/autostart/off.desktop:2", "/usr/bin/off", "", enabled: false);
        Expect("authorized-key", "/home/alice/.ssh/authorized_keys:1", "/usr/local/bin/forced --x", "alice");
        Expect("authorized-key", "/home/alice/.ssh/authorized_keys:2", "(login shell) ssh-rsa bob@host", "alice");
        Expect("ld-preload", "/etc/ld.so.preload:1", "/usr/local/lib/libplanted.so", "");
        Expect("kernel-module", "/etc/modules-load.d/planted.conf:2", "modprobe planted_mod", "root");
        Expect("kernel-module", "/etc/modprobe.d/planted.conf:2", "/bin/sh -c 'echo pwned'", "root");
        Expect("udev-rule", "/etc/udev/rules.d/99-planted.rules:1", "/usr/local/bin/on-usb %k", "root");
        Expect("at-job", "/var/spool/cron/atjobs/a0001a01a2b3c4", "/usr/local/bin/at-planted --once", "root");

        // The registering file as stat and sha256sum see it; the program a unit starts, found inside the root and hashed.
        var cron = Entry("cron", "/etc/cron.d/osprey-planted:2");
        var truth = await StatAsync(r + "/etc/cron.d/osprey-planted");
        Assert.Equal(await Sha256SumAsync(r + "/etc/cron.d/osprey-planted"), cron.GetProperty("file").GetProperty("sha256").GetString());
        Assert.Equal(truth["mtime"], Seconds(cron.GetProperty("file"), "modifiedUs"));
        Assert.Equal(Convert.ToInt32(truth["mode"], 8), cron.GetProperty("metadata").GetProperty("mode").GetInt32());
        Assert.Equal("root", cron.GetProperty("metadata").GetProperty("owner").GetProperty("name").GetString());
        var program = Entry("systemd-unit", "/etc/systemd/system/planted.service").GetProperty("executable");
        Assert.Equal(r + "/usr/local/bin/planted-service", program.GetProperty("path").GetString());
        Assert.Equal(await Sha256SumAsync(r + "/usr/local/bin/planted-service"), program.GetProperty("sha256").GetString());

        // A type filter and the entry bound.
        var cronOnly = await CreateAndWaitAsync(h, "autoruns", "--params", $$"""{"root":"{{r}}","types":["cron"]}""");
        Assert.All(Result(cronOnly, "autoruns").GetProperty("entries").EnumerateArray(), e => Assert.Equal("cron", e.GetProperty("type").GetString()));
        Assert.Equal(4, Result(cronOnly, "autoruns").GetProperty("entries").GetArrayLength());
        var bounded = await CreateAndWaitAsync(h, "autoruns", "--param", $"root={r}", "--param", "maxEntries=3");
        Assert.Equal(3, Result(bounded, "autoruns").GetProperty("entries").GetArrayLength());
        Assert.True(Result(bounded, "autoruns").GetProperty("truncated").GetBoolean());
        var wrongType = await CreateAndWaitAsync(h, "autoruns", "--params", """{"types":["registry"]}""");
        Assert.Contains("unknown autorun type(s) registry", Errors(wrongType));

        // The live system: every timer enabled in /etc/systemd/system is reported enabled.
        var live = await CreateAndWaitAsync(h, "autoruns", "--params", """{"types":["systemd-timer"]}""");
        var liveTimers = Result(live, "autoruns").TryGetProperty("entries", out var found) ? found.EnumerateArray().ToList() : [];
        var wants = "/etc/systemd/system/timers.target.wants";
        foreach (var timer in Directory.Exists(wants) ? Directory.EnumerateFileSystemEntries(wants).Select(Path.GetFileName) : [])
        {
            Assert.Contains(liveTimers, e => e.GetProperty("location").GetString()!.EndsWith("/" + timer, StringComparison.Ordinal) && e.GetProperty("enabled").GetBoolean());
        }
    }

    [Fact]
    public async Task RamImage_IsStoredAsLime_OrFailsAsUnsupportedWhereTheKernelOffersNoPhysicalMemory()
    {
        await using var h = await AgentOnNode.StartAsync(["mount"], null, Ct);
        var task = await CreateAndWaitAsync(h, "ram-image", "--param", "maxBytes=67108864");
        var state = task.GetProperty("state").GetString();
        if (!File.Exists("/proc/kcore") && !File.Exists("/dev/mem"))
        {
            // This kernel has neither interface (CONFIG_PROC_KCORE and CONFIG_DEVMEM off): nothing to read, and it says so.
            Assert.Equal("failed", state);
            Assert.Contains("unsupported here: /proc/kcore does not exist (kernel built without CONFIG_PROC_KCORE); /dev/mem does not exist (kernel built without CONFIG_DEVMEM)", Errors(task));
            Assert.Equal(95, Report(task).GetProperty("returnCode").GetInt32());
            return;
        }
        if (state == "failed")
        {
            // Present but closed (lockdown, STRICT_DEVMEM): the same clear error with the kernel's reason.
            Assert.Contains("unsupported here: ", Errors(task));
            return;
        }
        Assert.Equal("completed", state);
        var result = Result(task, "ramImage");
        Assert.Equal("lime", result.GetProperty("format").GetString());
        using var dir = new TempDirectory("osprey-ram");
        var image = await GetStoredAsync(h, result.GetProperty("image").GetProperty("sha256").GetString()!, dir.Path);
        Assert.True(image.Length <= 64 << 20);
        // The first record is the first System RAM range of /proc/iomem.
        var first = File.ReadAllLines("/proc/iomem").First(l => l.EndsWith(" : System RAM", StringComparison.Ordinal) && !l.StartsWith(' '));
        Assert.Equal(0x4C694D45u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(image));
        Assert.Equal(ulong.Parse(first[..first.IndexOf('-', StringComparison.Ordinal)], NumberStyles.HexNumber, CultureInfo.InvariantCulture), System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(8)));
    }

    private static void AssertMatchesStat(Dictionary<string, string> truth, JsonElement result)
    {
        var file = result.GetProperty("file");
        var metadata = result.GetProperty("metadata");
        Assert.Equal(truth["size"], file.TryGetProperty("size", out var size) ? size.GetString() : "0");
        Assert.Equal(Convert.ToInt32(truth["mode"], 8), metadata.GetProperty("mode").GetInt32());
        Assert.Equal(truth["owner"], metadata.GetProperty("owner").GetProperty("name").GetString());
        Assert.Equal(truth["group"], metadata.GetProperty("ownerGroup").GetProperty("name").GetString());
        Assert.Equal(truth["links"], metadata.GetProperty("hardLinks").GetString());
        Assert.Equal("regular", metadata.GetProperty("fileType").GetString());
        Assert.Equal(truth["id"], metadata.GetProperty("fileId").GetString());
        Assert.Equal(truth["mtime"], Seconds(file, "modifiedUs"));
        Assert.Equal(truth["ctime"], Seconds(metadata, "statusChangedUs"));
    }

    private static string Seconds(JsonElement e, string name) =>
        (long.Parse(e.GetProperty(name).GetString()!, CultureInfo.InvariantCulture) / 1_000_000).ToString(CultureInfo.InvariantCulture);

    private static async Task<Dictionary<string, string>> StatAsync(string path)
    {
        var stat = await CommandRunner.RunAsync("stat", ["-c", "%d:%i %s %a %U %G %h %Y %Z", path], cancellationToken: Ct);
        Assert.True(stat.ExitCode == 0, stat.ToString());
        var f = stat.Stdout.Trim().Split(' ');
        return new() { ["id"] = f[0], ["size"] = f[1], ["mode"] = f[2], ["owner"] = f[3], ["group"] = f[4], ["links"] = f[5], ["mtime"] = f[6], ["ctime"] = f[7] };
    }

    private static async Task<string> ToolHashAsync(string tool, string path) =>
        (await CommandRunner.RunAsync(tool, [path], cancellationToken: Ct)).Stdout.Split(' ')[0];

    /// <summary>The object fetched with <c>osprey storage get</c>.</summary>
    private static async Task<byte[]> GetStoredAsync(AgentOnNode h, string sha256, string directory, string? target = null)
    {
        target ??= Path.Combine(directory, sha256 + ".bin");
        var get = await h.Cli.RunAsync("storage", "get", sha256, "-o", target);
        Assert.True(get.ExitCode == 0, get.ToString());
        var bytes = await File.ReadAllBytesAsync(target, Ct);
        if (target.EndsWith(".bin", StringComparison.Ordinal))
        {
            File.Delete(target);
        }
        return bytes;
    }

    private static string UniquePidOf(AgentOnNode h, int pid) => UniquePid.Compute(h.Agent.AgentId!, BootId(), pid, StartTicks(pid));

    private static string BootId() => File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();

    private static List<int> Children(int pid)
    {
        var path = $"/proc/{pid}/task/{pid}/children";
        return File.Exists(path)
            ? File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToList()
            : [];
    }
}
