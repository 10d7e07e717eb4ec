using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Osprey.Testing.Paths;
using Osprey.Testing.Processes;

namespace Osprey.EndToEnd.Tests.Agent;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
/// <summary>get-file, quarantine (add, list, pull, restore, delete) and service through the CLI, a real node and a real agent, checked against the system.</summary>
public sealed class QuarantineTaskTests
{
    private const string Marker = "OSPREY-E2E-QUARANTINE-MARKER";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetFile_StoresTheFileWithItsHashesAndMetadata_AndRefusesWhatItShouldNot()
    {
        await using var h = await AgentOnNode.StartAsync(["mount"], null, Ct);
        using var dir = new TempDirectory("osprey-getfile");
        var file = Path.Combine(dir.Path, "evidence.bin");
        await File.WriteAllBytesAsync(file, RandomNumberGenerator.GetBytes((3 << 20) + 17), Ct);
        await RunAsync("chown", "4242:4343", file);
        await RunAsync("chmod", "640", file);
        var sha256 = await AgentTaskTests.Sha256SumAsync(file);

        var task = await AgentTaskTests.CreateAndWaitAsync(h, "get-file", "--params", GetFileParams(file));

        Assert.Equal("completed", task.GetProperty("state").GetString());
        var result = AgentTaskTests.Result(task, "getFile");
        Assert.Equal(sha256, result.GetProperty("stored").GetProperty("storageId").GetString());
        Assert.Equal(sha256, result.GetProperty("file").GetProperty("sha256").GetString());
        Assert.Equal(((3 << 20) + 17).ToString(CultureInfo.InvariantCulture), result.GetProperty("file").GetProperty("size").GetString());
        Assert.Equal("4242", result.GetProperty("metadata").GetProperty("owner").GetProperty("id").GetString());
        Assert.Equal("4343", result.GetProperty("metadata").GetProperty("ownerGroup").GetProperty("id").GetString());
        Assert.Equal(Convert.ToInt32("640", 8), result.GetProperty("metadata").GetProperty("mode").GetInt32());
        var copy = Path.Combine(dir.Path, "copy.bin");
        var get = await h.Cli.RunAsync("storage", "get", sha256, "-o", copy);
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Equal(sha256, await AgentTaskTests.Sha256SumAsync(copy));

        File.CreateSymbolicLink(Path.Combine(dir.Path, "link"), file);
        (string Params, string Error)[] refusals =
        [
            (GetFileParams(file + ".missing"), "no such file"),
            (GetFileParams(dir.Path), "is a directory"),
            (GetFileParams(file, 1000), "more than the limit of 1000 bytes"),
            (GetFileParams("etc/passwd"), "must be absolute"),
            (GetFileParams($"{dir.Path}/../{Path.GetFileName(dir.Path)}/evidence.bin"), "is not normalised"),
            (GetFileParams(dir.Path + "/link"), "is a symbolic link to"),
            (GetFileParams("/dev/zero"), "is a char-device, not a regular file"),
        ];
        foreach (var (parameters, error) in refusals)
        {
            var refused = await AgentTaskTests.CreateAndWaitAsync(h, "get-file", "--params", parameters);
            Assert.Equal("failed", refused.GetProperty("state").GetString());
            Assert.Contains(error, AgentTaskTests.Errors(refused), StringComparison.Ordinal);
            Assert.False(AgentTaskTests.Report(refused).TryGetProperty("getFile", out _), $"a result despite '{error}'");
        }
        var stored = JsonDocument.Parse((await h.Cli.RunAsync("storage", "list", "--json")).Stdout).RootElement;
        Assert.Single(stored.EnumerateArray());
    }

    [Fact]
    public async Task Quarantine_AddListPullRestoreDelete_ThroughTheCli()
    {
        await using var h = await AgentOnNode.StartAsync(["mount"], null, Ct);
        var agent = h.Agent.AgentId!;
        using var dir = new TempDirectory("osprey-quarantine");
        var file = Path.Combine(dir.Path, "payload.sh");
        var content = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(Marker + "\n", 50_000)));
        await File.WriteAllBytesAsync(file, content, Ct);
        await RunAsync("chown", "4242:4343", file);
        await RunAsync("chmod", "4750", file);
        await RunAsync("touch", "-m", "-d", "2021-03-04 05:06:07.123456 UTC", file);
        var before = await StatAsync(file);
        var sha256 = await AgentTaskTests.Sha256SumAsync(file);

        var added = await QuarantineAsync(h, "add", agent, file);

        Assert.Equal("completed", added.GetProperty("state").GetString());
        var reported = AgentTaskTests.Result(added, "quarantine").GetProperty("entries")[0];
        var id = reported.GetProperty("quarantineId").GetString()!;
        Assert.False(File.Exists(file), "the original is still there");
        var stored = Path.Combine(h.Agent.StateDir, "quarantine", id + ".osq");
        Assert.True(File.Exists(stored), $"no entry file {stored}");
        Assert.Equal(-1, (await File.ReadAllBytesAsync(stored, Ct)).AsSpan().IndexOf(Encoding.ASCII.GetBytes(Marker)));
        Assert.Equal("600", (await RunAsync("stat", "-c", "%a %U", stored)).Split(' ')[0]);
        Assert.Equal("700 root", await RunAsync("stat", "-c", "%a %U", Path.GetDirectoryName(stored)!));

        var listed = await ListAsync(h, "--agent", agent);
        var entry = Assert.Single(listed);
        Assert.Equal((id, agent, "quarantined", file, true), (Text(entry, "quarantineId"), Text(entry, "agentId"), Text(entry, "state"), Text(entry, "originalPath"), entry.GetProperty("originalDeleted").GetBoolean()));
        Assert.Equal(before.Size, entry.GetProperty("size").GetInt64());
        Assert.Equal((before.Mode, before.Uid, before.Gid), (Text(entry, "mode"), Text(entry, "ownerId"), Text(entry, "groupId")));
        Assert.Equal(sha256, Text(entry, "sha256"));
        var table = await h.Cli.RunAsync("quarantine", "list");
        Assert.True(table.Stdout.Contains(id[..12], StringComparison.Ordinal), table.Stdout);

        // A security auditor reads the list but cannot act on it.
        var auditor = await h.Cli.RunAsync("users", "add", "audrey", "--role", "security-auditor");
        Assert.True(auditor.ExitCode == 0, auditor.ToString());
        var audrey = h.Cli.WithToken(auditor.Stdout.Trim());
        Assert.Equal(0, (await audrey.RunAsync("quarantine", "list")).ExitCode);
        var refused = await audrey.RunAsync("quarantine", "restore", agent, id);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("security-auditor", refused.Stderr, StringComparison.Ordinal);

        var pulled = await QuarantineAsync(h, "pull", agent, id[..8]); // the first digits are enough
        Assert.Equal("completed", pulled.GetProperty("state").GetString());
        Assert.Equal(sha256, AgentTaskTests.Result(pulled, "getFile").GetProperty("stored").GetProperty("storageId").GetString());
        var copy = Path.Combine(dir.Path, "pulled.bin");
        var get = await h.Cli.RunAsync("storage", "get", sha256, "-o", copy);
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Equal(sha256, await AgentTaskTests.Sha256SumAsync(copy));

        var restored = await QuarantineAsync(h, "restore", agent, id);
        Assert.Equal("completed", restored.GetProperty("state").GetString());
        Assert.Equal(before, await StatAsync(file));
        Assert.Equal(sha256, await AgentTaskTests.Sha256SumAsync(file));
        Assert.False(File.Exists(stored), "the entry file is still there after the restore");
        Assert.Empty(await ListAsync(h, "--agent", agent));
        Assert.Equal("restored", Text(Assert.Single(await ListAsync(h, "--all")), "state"));

        // Again, with a file in the way: the restore refuses to replace it; then the entry is deleted.
        var again = await QuarantineAsync(h, "add", agent, file);
        var second = AgentTaskTests.Result(again, "quarantine").GetProperty("entries")[0].GetProperty("quarantineId").GetString()!;
        await File.WriteAllTextAsync(file, "a new file at the same path", Ct);
        var blocked = await QuarantineAsync(h, "restore", agent, second);
        Assert.Equal("failed", blocked.GetProperty("state").GetString());
        Assert.Contains("exists; restore with overwrite to replace it", AgentTaskTests.Errors(blocked), StringComparison.Ordinal);
        Assert.Equal("a new file at the same path", await File.ReadAllTextAsync(file, Ct));
        var deleted = await QuarantineAsync(h, "delete", agent, second);
        Assert.Equal("completed", deleted.GetProperty("state").GetString());
        Assert.Empty(await ListAsync(h, "--agent", agent));
        Assert.False(File.Exists(Path.Combine(h.Agent.StateDir, "quarantine", second + ".osq")), "the deleted entry is still on disk");
        var gone = await h.Cli.RunAsync("quarantine", "restore", agent, second);
        Assert.Equal(1, gone.ExitCode);
        Assert.Contains("was deleted already", gone.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Service_ControlsAThrowawayUnit_OrSaysThereIsNoServiceManager()
    {
        await using var h = await AgentOnNode.StartAsync(["mount"], null, Ct);
        var unit = "osprey-test-" + Guid.NewGuid().ToString("N")[..8] + ".service";
        if (!Directory.Exists("/run/systemd/system"))
        {
            // systemd is not PID 1 here (a container): the task must say so, not pretend.
            var task = await AgentTaskTests.CreateAndWaitAsync(h, "service", "--param", $"serviceName={unit}", "--param", "action=SERVICE_ACTION_START");
            Assert.Equal("failed", task.GetProperty("state").GetString());
            Assert.Contains("no service manager on this host", AgentTaskTests.Errors(task), StringComparison.Ordinal);
            Assert.False(Directory.Exists("/run/systemd/system"), "the task created systemd's runtime directory");
            return;
        }
        var unitFile = Path.Combine("/run/systemd/system", unit);
        await File.WriteAllTextAsync(unitFile, "[Unit]\nDescription=Osprey test unit\n[Service]\nExecStart=/bin/sleep 300\n", Ct);
        try
        {
            await RunAsync("systemctl", "daemon-reload");
            var started = await AgentTaskTests.CreateAndWaitAsync(h, "service", "--param", $"serviceName={unit}", "--param", "action=SERVICE_ACTION_START");
            Assert.Equal("completed", started.GetProperty("state").GetString());
            Assert.Equal("active", (await CommandRunner.RunAsync("systemctl", ["is-active", unit], cancellationToken: Ct)).Stdout.Trim());
            var result = AgentTaskTests.Result(started, "service");
            Assert.Equal(("inactive", "active"), (result.GetProperty("stateBefore").GetString(), result.GetProperty("state").GetString()));

            var stopped = await AgentTaskTests.CreateAndWaitAsync(h, "service", "--param", $"serviceName={unit}", "--param", "action=SERVICE_ACTION_STOP");
            Assert.Equal("completed", stopped.GetProperty("state").GetString());
            Assert.Equal("inactive", (await CommandRunner.RunAsync("systemctl", ["is-active", unit], cancellationToken: Ct)).Stdout.Trim());

            var missing = await AgentTaskTests.CreateAndWaitAsync(h, "service", "--param", "serviceName=osprey-no-such-unit-x1", "--param", "action=SERVICE_ACTION_START");
            Assert.Contains("there is no unit osprey-no-such-unit-x1.service", AgentTaskTests.Errors(missing), StringComparison.Ordinal);
        }
        finally
        {
            await CommandRunner.RunAsync("systemctl", ["stop", unit], cancellationToken: CancellationToken.None);
            File.Delete(unitFile);
            await CommandRunner.RunAsync("systemctl", ["daemon-reload"], cancellationToken: CancellationToken.None);
        }
    }

    /// <summary>Size, octal mode, uid, gid and modification time to the microsecond, as stat(1) prints them.</summary>
    private static async Task<(long Size, string Mode, string Uid, string Gid, string Modified)> StatAsync(string path)
    {
        var fields = (await RunAsync("stat", "-c", "%s %a %u %g %.6Y", path)).Split(' ');
        return (long.Parse(fields[0], CultureInfo.InvariantCulture), fields[1], fields[2], fields[3], fields[4]);
    }

    private static string GetFileParams(string path, long maxSize = 0) =>
        JsonSerializer.Serialize(new { file = new { path }, maxSize = maxSize.ToString(CultureInfo.InvariantCulture) });

    private static async Task<JsonElement> QuarantineAsync(AgentOnNode h, params string[] arguments)
    {
        var result = await h.Cli.RunAsync(["quarantine", .. arguments, "--wait", "--wait-timeout", "60s", "--json"]);
        Assert.True(result.ExitCode is 0 or 4, result.ToString());
        return JsonDocument.Parse(result.Stdout).RootElement[0].Clone();
    }

    private static async Task<List<JsonElement>> ListAsync(AgentOnNode h, params string[] arguments)
    {
        var result = await h.Cli.RunAsync(["quarantine", "list", .. arguments, "--json"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return [.. JsonDocument.Parse(result.Stdout).RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    private static string Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) ? value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText() : "";

    private static async Task<string> RunAsync(string command, params string[] arguments)
    {
        var result = await CommandRunner.RunAsync(command, arguments, cancellationToken: Ct);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Stdout.Trim();
    }
}
