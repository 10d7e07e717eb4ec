using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Osprey.Contracts.Storage;
using Osprey.Node.Tests.Support;
using static Osprey.Node.Tests.ObjectStorage.UploadCalls;

namespace Osprey.Node.Tests.ObjectStorage;

/// <summary>/api/v1/storage: roles, audit, downloads and listing filters.</summary>
public sealed class OperatorStorageTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Auditor_CanListAndDownload_ButCannotPutOrDelete()
    {
        await using var node = await TestNode.StartAsync();
        using var admin = node.Operator();
        var content = RandomBytes(1000, 1);
        await PutAsync(admin, content, "a.txt", Ct);
        using var auditor = node.Operator(await CreateUserAsync(admin, "audrey", "security-auditor"));

        using var put = await auditor.PostAsJsonAsync("/api/v1/storage/uploads", new { sha256 = Sha256(RandomBytes(10, 2)), size = 10 }, Ct);
        using var delete = await auditor.DeleteAsync($"/api/v1/storage/{Sha256(content)}", Ct);
        var listed = await ListAsync(auditor, Ct);
        var downloaded = await auditor.GetByteArrayAsync($"/api/v1/storage/{Sha256(content)}", Ct);

        Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);
        Assert.Contains("security-auditor", await put.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
        Assert.Single(listed);
        Assert.Equal(content, downloaded);
    }

    [Fact]
    public async Task SecurityOfficer_CanPut_ButOnlyOfficersDelete()
    {
        await using var node = await TestNode.StartAsync();
        using var admin = node.Operator();
        using var officer = node.Operator(await CreateUserAsync(admin, "olga", "security-officer"));
        using var senior = node.Operator(await CreateUserAsync(admin, "sam", "senior-security-officer"));
        var content = RandomBytes(5000, 3);

        var stored = await PutAsync(officer, content, "sample.elf", Ct);
        using var refused = await officer.DeleteAsync($"/api/v1/storage/{Sha256(content)}", Ct);
        using var deleted = await senior.DeleteAsync($"/api/v1/storage/{Sha256(content)}", Ct);

        Assert.Equal("olga", stored.GetProperty("object").GetProperty("uploadedBy").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Empty(await ListAsync(admin, Ct));
        using var again = await senior.DeleteAsync($"/api/v1/storage/{Sha256(content)}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task PutGetAndDelete_AreAudited_WithTheObject()
    {
        await using var node = await TestNode.StartAsync();
        using var admin = node.Operator();
        var content = RandomBytes(3000, 4);
        var sha256 = Sha256(content);
        await PutAsync(admin, content, "a.bin", Ct);
        await admin.GetByteArrayAsync($"/api/v1/storage/{sha256}", Ct);
        using (await admin.DeleteAsync($"/api/v1/storage/{sha256}", Ct))
        {
        }
        using var auditor = node.Operator(await CreateUserAsync(admin, "audrey", "security-auditor"));
        using (await auditor.DeleteAsync($"/api/v1/storage/{sha256}", Ct))
        {
        }

        var audit = (await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?limit=1000", Ct)).EnumerateArray().ToList();

        Assert.Contains(audit, e => Is(e, "admin", "POST /api/v1/storage/uploads", sha256, 200) && e.GetProperty("detail").GetString()!.Contains("size=3000", StringComparison.Ordinal));
        Assert.Contains(audit, e => Is(e, "admin", "PATCH /api/v1/storage/uploads/{uploadId}", null, 204));
        Assert.Contains(audit, e => Is(e, "admin", "POST /api/v1/storage/uploads/{uploadId}/complete", sha256, 200));
        Assert.Contains(audit, e => Is(e, "admin", "GET /api/v1/storage/{sha256}", sha256, 200));
        Assert.Contains(audit, e => Is(e, "admin", "DELETE /api/v1/storage/{sha256}", sha256, 204));
        Assert.Contains(audit, e => Is(e, "audrey", "DELETE /api/v1/storage/{sha256}", null, 403));
    }

    [Fact]
    public async Task Download_ServesRanges_AndTheObjectDigest()
    {
        await using var node = await TestNode.StartAsync();
        using var admin = node.Operator();
        var content = RandomBytes(100_000, 5);
        await PutAsync(admin, content, "report.pdf", Ct);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/storage/{Sha256(content).ToUpperInvariant()}");
        request.Headers.Range = new RangeHeaderValue(1000, 1999);

        using var response = await admin.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(content.AsSpan(1000, 1000).ToArray(), await response.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(content), UploadProtocol.ParseDigest(response.Headers.GetValues(UploadProtocol.ObjectDigestHeader).Single()));
        Assert.Equal("report.pdf", response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName);
    }

    [Fact]
    public async Task List_FiltersByAgentTaskAndHashPrefix()
    {
        await using var node = await TestNode.StartAsync();
        using var admin = node.Operator();
        using var agent = await node.EnrollAsync();
        var fromAgent = RandomBytes(2000, 6);
        var upload = await AgentBeginAsync(agent, fromAgent, "dump.core", "task-7", Ct);
        using (await ChunkAsync(agent.Http, $"/agent/v1/uploads/{upload.UploadId}", 0, fromAgent, Ct))
        {
        }
        await AgentCompleteAsync(agent, upload.UploadId, Ct);
        var fromOperator = RandomBytes(2000, 7);
        await PutAsync(admin, fromOperator, "sample", Ct);

        var byAgent = await ListAsync(admin, Ct, $"?agent={agent.AgentId}");
        var byTask = await ListAsync(admin, Ct, "?task=task-7");
        var byPrefix = await ListAsync(admin, Ct, $"?sha256={Sha256(fromOperator)[..6]}");
        var all = await ListAsync(admin, Ct, "?limit=1");

        Assert.Equal(Sha256(fromAgent), Assert.Single(byAgent).GetProperty("sha256").GetString());
        Assert.Equal("file", byAgent[0].GetProperty("kind").GetString());
        Assert.Equal(Sha256(fromAgent), Assert.Single(byTask).GetProperty("sha256").GetString());
        Assert.Equal(Sha256(fromOperator), Assert.Single(byPrefix).GetProperty("sha256").GetString());
        Assert.Equal("upload", byPrefix[0].GetProperty("kind").GetString());
        Assert.Single(all);
    }

    private static bool Is(JsonElement e, string user, string action, string? target, int status) =>
        e.GetProperty("user").GetString() == user && e.GetProperty("action").GetString() == action
        && (target is null || e.GetProperty("target").GetString() == target) && e.GetProperty("status").GetInt32() == status;

    private static async Task<string> CreateUserAsync(HttpClient admin, string name, string role)
    {
        using var created = await admin.PostAsJsonAsync("/api/v1/users", new { name, role }, Ct);
        return (await ReadJsonAsync(created, HttpStatusCode.OK, Ct)).GetProperty("token").GetString()!;
    }
}
