using System.Security.Cryptography;
using System.Text.Json;
using Osprey.Testing.Paths;
using Osprey.Testing.Processes;

namespace Osprey.EndToEnd.Tests;

/// <summary>The real CLI against a real node process: osprey storage put, list, get and delete.</summary>
public sealed class StorageTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Put_List_Get_ReturnsTheSameBytes_AndDeleteRemovesIt()
    {
        await using var node = await NodeProcess.InitAsync(Ct);
        await node.StartAsync(Ct);
        var cli = new OspreyCli(node.Url, node.AdminToken, node.Pin);
        using var dir = new TempDirectory("osprey-e2e-storage");
        var source = Path.Combine(dir.Path, "sample.bin");
        var content = RandomNumberGenerator.GetBytes((9 << 20) + 12345);
        await File.WriteAllBytesAsync(source, content, Ct);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(content));

        var put = await cli.RunAsync("storage", "put", source, "--chunk-mb", "2");
        var list = await cli.RunAsync("storage", "list", "--json");
        var copy = Path.Combine(dir.Path, "copy.bin");
        var get = await cli.RunAsync("storage", "get", sha256, "-o", copy);

        Assert.True(put.ExitCode == 0, put.ToString());
        Assert.Equal(sha256, put.Stdout.Trim());
        Assert.True(list.ExitCode == 0, list.ToString());
        var listed = Assert.Single(JsonDocument.Parse(list.Stdout).RootElement.EnumerateArray());
        Assert.Equal(sha256, listed.GetProperty("sha256").GetString());
        Assert.Equal("sample.bin", listed.GetProperty("name").GetString());
        Assert.Equal(content.Length, listed.GetProperty("size").GetInt64());
        Assert.Equal("admin", listed.GetProperty("uploadedBy").GetString());
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Contains("SHA-256 verified", get.Stderr, StringComparison.Ordinal);
        Assert.Equal(content, await File.ReadAllBytesAsync(copy, Ct));

        var table = await cli.RunAsync("storage", "list");
        Assert.Contains(sha256[..12], table.Stdout, StringComparison.Ordinal);
        var delete = await cli.RunAsync("storage", "delete", sha256[..12]);
        Assert.True(delete.ExitCode == 0, delete.ToString());
        var missing = await cli.RunAsync("storage", "get", sha256, "-o", Path.Combine(dir.Path, "gone.bin"));
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no object", missing.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir.Path, "gone.bin")));
    }

    [Fact]
    public async Task SecurityAuditor_CannotPut()
    {
        await using var node = await NodeProcess.InitAsync(Ct);
        await node.StartAsync(Ct);
        var admin = new OspreyCli(node.Url, node.AdminToken, node.Pin);
        var added = await admin.RunAsync("users", "add", "audrey", "--role", "security-auditor");
        Assert.True(added.ExitCode == 0, added.ToString());
        using var dir = new TempDirectory("osprey-e2e-storage");
        var source = Path.Combine(dir.Path, "x.txt");
        await File.WriteAllTextAsync(source, "not for auditors", Ct);

        var refused = await admin.WithToken(added.Stdout.Trim()).RunAsync("storage", "put", source);

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("security-auditor", refused.Stderr, StringComparison.Ordinal);
        var list = await admin.RunAsync("storage", "list", "--json");
        Assert.Empty(JsonDocument.Parse(list.Stdout).RootElement.EnumerateArray());
    }
}
