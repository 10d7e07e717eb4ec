using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Osprey.Contracts.Identity;
using Osprey.Testing.Paths;
using Osprey.Testing.Processes;

namespace Osprey.EndToEnd.Tests.Agent;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
/// <summary>Response and forensic tasks end to end: created with the CLI, run by a real agent, checked against the system.</summary>
public sealed class AgentTaskTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RunProcess_ReportsExitCodeOutputAndExecutable_AndCancelStopsIt()
    {
        await using var h = await AgentOnNode.StartAsync(["mount"], null, Ct);
        using var cwd = new TempDirectory("osprey-task");

        var task = await CreateAndWaitAsync(h, "run-process",
            "--param", "commandLine=/bin/sh -c 'echo hello from $PWD; echo oops >&2; exit 3'", "--param", $"workingDirectory={cwd.Path}");

        Assert.Equal("completed", task.GetProperty("state").GetString());
        var result = Result(task, "runProcess");
        Assert.Equal(3, result.GetProperty("exitCode").GetInt32());
        Assert.Equal($"hello from {cwd.Path}\n", Bytes(result, "stdout"));
        Assert.Equal("oops\n", Bytes(result, "stderr"));
        Assert.Equal("/bin/sh", result.GetProperty("executable").GetProperty("path").GetString());
        Assert.Equal(await Sha256SumAsync("/bin/sh"), result.GetProperty("executable").GetProperty("sha256").GetString());

        // A long task, cancelled while it runs: the agent stops it and the task ends "cancelled".
        var marker = "osprey-cancel-" + Guid.NewGuid().ToString("N")[..8];
        var created = await h.Cli.RunAsync("tasks", "create", "run-process", "--agent", h.Agent.AgentId!, "--param", $"commandLine=/bin/sh -c 'sleep 300; : {marker}'", "--json");
        Assert.True(created.ExitCode == 0, created.ToString());
        var id = JsonDocument.Parse(created.Stdout).RootElement[0].GetProperty("taskId").GetString()!;
        await WaitForStateAsync(h, id, "running");
        await WaitUntilAsync(() => PidsWith(marker).Count == 1, "the sleep to start");
        var cancel = await h.Cli.RunAsync("tasks", "cancel", id);
        Assert.True(cancel.ExitCode == 0, cancel.ToString());
        await WaitForStateAsync(h, id, "cancelled");
        await WaitUntilAsync(() => PidsWith(marker).Count == 0, "the cancelled task's process to be gone");

        // A task past its timeout is stopped and reported so.
        var timedOut = await CreateAndWaitAsync(h, "run-process", "--param", "commandLine=/bin/sleep 300", "--timeout", "2s");
        Assert.Equal("timeout", timedOut.GetProperty("state").GetString());
    }

    [Fact]
    public async Task RunAs_WrongPasswordFails_RightPasswordRunsAsTheAccount()
    {
        await using var h = await AgentOnNode.StartAsync(["mount"], null, Ct);
        var user = "osprey-t" + Guid.NewGuid().ToString("N")[..6];
        Assert.Equal(0, (await CommandRunner.RunAsync("useradd", ["--no-create-home", "--shell", "/usr/sbin/nologin", user], cancellationToken: Ct)).ExitCode);
        try
        {
            var set = await CommandRunner.RunAsync("/bin/sh", ["-c", $"echo '{user}:Right-Horse-7' | chpasswd"], cancellationToken: Ct);
            Assert.True(set.ExitCode == 0, set.ToString());
            using var secrets = new TempDirectory("osprey-secret");
            var wrong = Path.Combine(secrets.Path, "wrong");
            var right = Path.Combine(secrets.Path, "right");
            await File.WriteAllTextAsync(wrong, "wrong-horse\n", Ct);
            await File.WriteAllTextAsync(right, "Right-Horse-7\n", Ct);

            var refused = await CreateAndWaitAsync(h, "run-process", "--param", "commandLine=/usr/bin/id -un", "--run-as", user, "--password-file", wrong);
            Assert.Equal("failed", refused.GetProperty("state").GetString());
            Assert.Contains($"wrong password for the account '{user}'", Errors(refused));
            Assert.False(Report(refused).TryGetProperty("runProcess", out _), "a process ran despite the wrong password");

            var ran = await CreateAndWaitAsync(h, "run-process", "--param", "commandLine=/usr/bin/id -un", "--run-as", user, "--password-file", right);
            Assert.Equal("completed", ran.GetProperty("state").GetString());
            Assert.Equal(user + "\n", Bytes(Result(ran, "runProcess"), "stdout"));

            // The password is in no report, no task view and no audit entry.
            var audit = await h.Cli.RunAsync("audit", "list", "--json");
            Assert.DoesNotContain("Right-Horse-7", audit.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain("Right-Horse-7", ran.GetRawText(), StringComparison.Ordinal);
        }
        finally
        {
            await CommandRunner.RunAsync("userdel", [user], cancellationToken: CancellationToken.None);
        }
    }

    [Fact]
    public async Task Terminate_ByUniquePid_LeavesAProcessThatReusedThePidAlone()
    {
        await using var h = await AgentOnNode.StartAsync(["mount"], null, Ct);
        using var sleeper = Process.Start("/bin/sleep", "300");
        try
        {
            var bootId = (await File.ReadAllTextAsync("/proc/sys/kernel/random/boot_id", Ct)).Trim();
            var ticks = StartTicks(sleeper.Id);
            // The UniquePID an earlier process with this PID had (another start time): the PID has been reused since.
            var earlier = UniquePid.Compute(h.Agent.AgentId!, bootId, sleeper.Id, ticks - 1);
            var missed = await CreateAndWaitAsync(h, "terminate-process", "--param", $"uniquePids=[\"{earlier}\"]");
            Assert.Equal("failed", missed.GetProperty("state").GetString());
            Assert.False(sleeper.HasExited, "terminate by an old UniquePID killed the process that reused its PID");
            Assert.Contains("no running process has this UniquePID", Errors(missed));

            var current = UniquePid.Compute(h.Agent.AgentId!, bootId, sleeper.Id, ticks);
            var killed = await CreateAndWaitAsync(h, "terminate-process", "--param", $"uniquePids=[\"{current}\"]");
            Assert.Equal("completed", killed.GetProperty("state").GetString());
            Assert.True(sleeper.WaitForExit(10_000), "the process was not killed");
            var entry = Result(killed, "terminateProcess").GetProperty("processes")[0];
            Assert.Equal(sleeper.Id, entry.GetProperty("pid").GetInt32());
            Assert.Equal(await Sha256SumAsync("/bin/sleep"), entry.GetProperty("sha256").GetString());
        }
        finally
        {
            if (!sleeper.HasExited)
            {
                sleeper.Kill();
            }
        }
    }

    [Fact]
    public async Task ProcessList_MatchesProc_AndDirList_MatchesStat_AndDeleteChecksTheHash()
    {
        await using var h = await AgentOnNode.StartAsync(["mount"], null, Ct);
        var before = ProcPids();
        var namesBefore = before.ToDictionary(pid => pid, pid => TryRead($"/proc/{pid}/comm"));
        var list = await CreateAndWaitAsync(h, "process-list", "--param", "environment=true");
        var after = ProcPids();
        var processes = Result(list, "processList").GetProperty("processes").EnumerateArray()
            .ToDictionary(p => p.GetProperty("process").TryGetProperty("pid", out var pid) ? pid.GetInt32() : 0);
        foreach (var pid in before.Intersect(after))
        {
            Assert.True(processes.ContainsKey(pid), $"PID {pid} is in /proc but not in the process list");
            var stat = await File.ReadAllTextAsync($"/proc/{pid}/stat", Ct);
            var comm = stat[(stat.IndexOf('(') + 1)..stat.LastIndexOf(')')];
            var ppid = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
            var listed = processes[pid];
            Assert.Equal(ppid, listed.TryGetProperty("parentPid", out var p) ? p.GetInt32() : 0);
            // Kernel threads rename themselves (kworker/…) from one read to the next, and a process that executed
            // meanwhile (a forked shell running a script) has another name now than when it was listed.
            if (ppid != 2 && pid != 2 && namesBefore[pid].TrimEnd('\n') == comm)
            {
                // The name is the executable's file name (a script run through its "#!" line is named after its
                // interpreter, while the kernel's comm is the script's name); without a readable executable, comm.
                var name = listed.GetProperty("process").GetProperty("name").GetString()!;
                var exe = ExecutableOf(pid);
                Assert.True(
                    exe is not null ? name == Path.GetFileName(exe) : comm.StartsWith(name, StringComparison.Ordinal),
                    $"PID {pid} ({comm}, {exe}) is listed as {name}");
            }
        }
        var self = processes[Environment.ProcessId];
        Assert.Equal(h.OwnUniquePid(), self.GetProperty("process").GetProperty("uniquePid").GetString());
        Assert.Equal("root", self.GetProperty("credentials").GetProperty("user").GetProperty("name").GetString());
        Assert.Contains(self.GetProperty("environment").EnumerateArray(), v => v.GetString()!.StartsWith("PATH=", StringComparison.Ordinal));

        using var dir = new TempDirectory("osprey-dirlist");
        var file = Path.Combine(dir.Path, "a.bin");
        await File.WriteAllBytesAsync(file, Encoding.ASCII.GetBytes("osprey dir-list"), Ct);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.SetUser);
        Directory.CreateDirectory(Path.Combine(dir.Path, "sub"));
        await File.WriteAllTextAsync(Path.Combine(dir.Path, "sub", "deep.txt"), "x", Ct);
        File.CreateSymbolicLink(Path.Combine(dir.Path, "link"), "/etc/passwd");
        var listing = await CreateAndWaitAsync(h, "dir-list", "--param", $"path={dir.Path}", "--param", "recursive=true", "--param", "hashes=true");
        var entries = Result(listing, "dirList").GetProperty("entries").EnumerateArray().ToDictionary(e => e.GetProperty("file").GetProperty("path").GetString()!);
        Assert.Equal(
            new[] { file, Path.Combine(dir.Path, "link"), Path.Combine(dir.Path, "sub"), Path.Combine(dir.Path, "sub", "deep.txt") }.Order(StringComparer.Ordinal),
            entries.Keys.Order(StringComparer.Ordinal));
        foreach (var (path, entry) in entries)
        {
            // Ground truth from stat(1): size, permission bits, type, owner, device:inode, mtime.
            var truth = (await CommandRunner.RunAsync("stat", ["-c", "%s %a %F %U %d:%i %Y", path], cancellationToken: Ct)).Stdout.Trim().Split(' ');
            var metadata = entry.GetProperty("metadata");
            Assert.Equal(long.Parse(truth[0], CultureInfo.InvariantCulture), entry.GetProperty("file").TryGetProperty("size", out var size) ? long.Parse(size.GetString()!, CultureInfo.InvariantCulture) : 0);
            Assert.Equal(Convert.ToInt32(truth[1], 8), metadata.GetProperty("mode").GetInt32());
            Assert.Equal("root", metadata.GetProperty("owner").GetProperty("name").GetString());
            Assert.Equal(truth[^2], metadata.GetProperty("fileId").GetString());
            Assert.Equal(long.Parse(truth[^1], CultureInfo.InvariantCulture), long.Parse(entry.GetProperty("file").GetProperty("modifiedUs").GetString()!, CultureInfo.InvariantCulture) / 1_000_000);
        }
        Assert.Equal("symlink", entries[Path.Combine(dir.Path, "link")].GetProperty("metadata").GetProperty("fileType").GetString());
        Assert.Contains("setuid", entries[file].GetProperty("metadata").GetProperty("attributes").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(await Sha256SumAsync(file), entries[file].GetProperty("file").GetProperty("sha256").GetString());

        var refused = await CreateAndWaitAsync(h, "delete-file", "--params", $$"""{"objects":[{"path":"{{file}}","sha256":"{{new string('0', 64)}}"}]}""");
        Assert.True(File.Exists(file), "deleted although the hash did not match");
        Assert.Contains("do not have the hash given", Errors(refused));
        var deleted = await CreateAndWaitAsync(h, "delete-file", "--params", $$"""{"objects":[{"path":"{{file}}","sha256":"{{await Sha256SumAsync(file)}}"}]}""");
        Assert.Equal("completed", deleted.GetProperty("state").GetString());
        Assert.False(File.Exists(file), "the file is still there");
    }

    internal static async Task<JsonElement> CreateAndWaitAsync(AgentOnNode h, string type, params string[] arguments)
    {
        var result = await h.Cli.RunAsync(["tasks", "create", type, "--agent", h.Agent.AgentId!, .. arguments, "--wait", "--wait-timeout", "60s", "--json"]);
        Assert.True(result.ExitCode is 0 or 4, result.ToString());
        var task = JsonDocument.Parse(result.Stdout).RootElement[0].Clone();
        // Progress lines go to stderr while waiting, the last with the state the task ended in.
        Assert.EndsWith($": {task.GetProperty("state").GetString()}", result.Stderr.TrimEnd(), StringComparison.Ordinal);
        return task;
    }

    private static async Task WaitForStateAsync(AgentOnNode h, string taskId, string state)
    {
        await WaitUntilAsync(async () =>
        {
            var show = await h.Cli.RunAsync("tasks", "show", taskId, "--json");
            return JsonDocument.Parse(show.Stdout).RootElement.GetProperty("state").GetString() == state;
        }, $"task {taskId} to be {state}");
    }

    internal static Task WaitUntilAsync(Func<bool> condition, string what) => WaitUntilAsync(() => Task.FromResult(condition()), what);

    internal static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(200, Ct);
        }
    }

    internal static JsonElement Report(JsonElement task) => task.GetProperty("reports").EnumerateArray().Last().GetProperty("report");

    internal static JsonElement Result(JsonElement task, string name) => Report(task).GetProperty(name);

    internal static string Errors(JsonElement task) =>
        string.Join("\n", task.GetProperty("reports").EnumerateArray().SelectMany(r => r.GetProperty("report").TryGetProperty("errors", out var e) ? e.EnumerateArray() : [])
            .Select(e => e.GetProperty("message").GetString()));

    private static string Bytes(JsonElement result, string name) =>
        result.TryGetProperty(name, out var value) ? Encoding.UTF8.GetString(Convert.FromBase64String(value.GetString()!)) : "";

    private static HashSet<int> ProcPids() =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(n => n!.All(char.IsAsciiDigit)).Select(n => int.Parse(n!, CultureInfo.InvariantCulture)).ToHashSet();

    private static List<int> PidsWith(string marker) =>
        ProcPids().Where(p => File.Exists($"/proc/{p}/cmdline") && TryRead($"/proc/{p}/cmdline").Contains(marker, StringComparison.Ordinal)).ToList();

    private static string? ExecutableOf(int pid)
    {
        try
        {
            var target = File.ResolveLinkTarget($"/proc/{pid}/exe", returnFinalTarget: false)?.FullName;
            return target?.EndsWith(" (deleted)", StringComparison.Ordinal) == true ? target[..^" (deleted)".Length] : target;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return "";
        }
    }

    internal static long StartTicks(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19], CultureInfo.InvariantCulture);
    }

    internal static async Task<string> Sha256SumAsync(string path)
    {
        var real = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;
        return (await CommandRunner.RunAsync("sha256sum", [real], cancellationToken: Ct)).Stdout.Split(' ')[0];
    }
}
