using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using static Osprey.Node.Tests.ObjectStorage.UploadCalls;
using Osprey.Node.Tests.Support;

namespace Osprey.Node.Tests.ObjectStorage;

/// <summary>The capacity bound: storing past it evicts the least recently used objects, oldest first, and audits it.</summary>
public sealed class EvictionTests
{
    private const int Size = 256 * 1024;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<TestNode> StartAsync() =>
        TestNode.StartAsync(configure: o => o with { Storage = o.Storage with { MaxObjectBytes = Size, CapacityBytes = 3 * Size } });

    [Fact]
    public async Task StoringPastTheCapacity_EvictsTheOldestObject()
    {
        await using var node = await StartAsync();
        using var client = node.Operator();
        var objects = Enumerable.Range(0, 4).Select(i => RandomBytes(Size, 100 + i)).ToList();
        foreach (var content in objects.Take(3))
        {
            await PutAsync(client, content, "o.bin", Ct);
        }

        await PutAsync(client, objects[3], "new.bin", Ct);

        var stored = (await ListAsync(client, Ct)).Select(o => o.GetProperty("sha256").GetString()!).ToHashSet();
        Assert.Equal(objects.Skip(1).Select(o => Sha256(o)).ToHashSet(), stored);
        var oldest = Sha256(objects[0]);
        using var gone = await client.GetAsync($"/api/v1/storage/{oldest}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.False(File.Exists(Path.Combine(node.DataDir, "storage", "objects", oldest[..2], oldest)));
        var audit = await client.GetFromJsonAsync<JsonElement>("/api/v1/audit?limit=1000", Ct);
        var eviction = Assert.Single(audit.EnumerateArray(), e => e.GetProperty("action").GetString() == "storage evict");
        Assert.Equal(oldest, eviction.GetProperty("target").GetString());
        Assert.Contains("capacity of 786432 bytes", eviction.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARecentlyDownloadedObject_IsKept_AndTheLeastRecentlyUsedGoes()
    {
        await using var node = await StartAsync();
        using var client = node.Operator();
        var objects = Enumerable.Range(0, 4).Select(i => RandomBytes(Size, 200 + i)).ToList();
        foreach (var content in objects.Take(3))
        {
            await PutAsync(client, content, "o.bin", Ct);
        }
        Assert.Equal(objects[0], await client.GetByteArrayAsync($"/api/v1/storage/{Sha256(objects[0])}", Ct));

        await PutAsync(client, objects[3], "new.bin", Ct);

        var stored = (await ListAsync(client, Ct)).Select(o => o.GetProperty("sha256").GetString()!).ToHashSet();
        Assert.Contains(Sha256(objects[0]), stored);
        Assert.DoesNotContain(Sha256(objects[1]), stored);
        Assert.Equal(3, stored.Count);
    }

    [Fact]
    public async Task AnObjectLargerThanTheCapacity_IsRefused_AndEvictsNothing()
    {
        await using var node = await TestNode.StartAsync(configure: o => o with { Storage = o.Storage with { MaxObjectBytes = 4 * Size, CapacityBytes = 4 * Size } });
        using var client = node.Operator();
        await PutAsync(client, RandomBytes(Size, 300), "small.bin", Ct);

        using var refused = await client.PostAsJsonAsync("/api/v1/storage/uploads", new { sha256 = new string('a', 64), size = 4 * Size + 1, name = "big" }, Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
        Assert.Single(await ListAsync(client, Ct));
    }
}
