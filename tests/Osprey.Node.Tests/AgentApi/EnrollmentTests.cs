using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Osprey.Contracts.V1;
using Osprey.Node.Tests.Support;
using Osprey.Testing.Simulator;

namespace Osprey.Node.Tests.AgentApi;

public sealed class EnrollmentTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Enroll_WithValidToken_IssuesCertificateThatSyncs()
    {
        await using var node = await TestNode.StartAsync();
        using var agent = await node.EnrollAsync("host-a");

        Assert.True(Guid.TryParse(agent.AgentId, out _));
        Assert.Equal(agent.AgentId, agent.Certificate.GetNameInfo(X509NameType.SimpleName, false));
        var reply = await agent.SyncAsync(new SyncRequest { Device = SyntheticEvents.Device("host-a") }, Ct);
        Assert.Empty(reply.Tasks);
    }

    [Fact]
    public async Task Enroll_WithExpiredToken_IsRejected()
    {
        await using var node = await TestNode.StartAsync();
        var token = await node.CreateEnrollTokenAsync(ttlSeconds: 1);
        await Task.Delay(1500, Ct);

        var e = await Assert.ThrowsAsync<AgentApiException>(() => SimulatedAgent.EnrollAsync(node.Url, token, node.Pin, "h", Ct));
        Assert.Equal(HttpStatusCode.Unauthorized, e.Status);
        Assert.Contains("expired", e.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enroll_WithUsedUpToken_IsRejected()
    {
        await using var node = await TestNode.StartAsync();
        var token = await node.CreateEnrollTokenAsync(uses: 2);
        using var first = await SimulatedAgent.EnrollAsync(node.Url, token, node.Pin, "h1", Ct);
        using var second = await SimulatedAgent.EnrollAsync(node.Url, token, node.Pin, "h2", Ct);

        var e = await Assert.ThrowsAsync<AgentApiException>(() => SimulatedAgent.EnrollAsync(node.Url, token, node.Pin, "h3", Ct));
        Assert.Equal(HttpStatusCode.Unauthorized, e.Status);
        Assert.Contains("used up", e.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enroll_WithRevokedToken_IsRejected()
    {
        await using var node = await TestNode.StartAsync();
        var token = await node.CreateEnrollTokenAsync();
        using var client = node.Operator();
        var tokens = await client.GetFromJsonAsync<JsonElement>("/api/v1/tokens", Ct);
        var id = tokens[0].GetProperty("id").GetString();
        (await client.DeleteAsync($"/api/v1/tokens/{id}", Ct)).EnsureSuccessStatusCode();

        var e = await Assert.ThrowsAsync<AgentApiException>(() => SimulatedAgent.EnrollAsync(node.Url, token, node.Pin, "h", Ct));
        Assert.Contains("revoked", e.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enroll_WithUnknownToken_IsRejected()
    {
        await using var node = await TestNode.StartAsync();
        var e = await Assert.ThrowsAsync<AgentApiException>(() => SimulatedAgent.EnrollAsync(node.Url, "oet_not-a-real-token", node.Pin, "h", Ct));
        Assert.Contains("not known", e.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enroll_WithWrongPin_IsRefusedByTheClient()
    {
        await using var node = await TestNode.StartAsync();
        var token = await node.CreateEnrollTokenAsync();
        var wrongPin = Convert.ToHexStringLower(SHA256.HashData("another CA"u8));

        var e = await Assert.ThrowsAsync<HttpRequestException>(() => SimulatedAgent.EnrollAsync(node.Url, token, wrongPin, "h", Ct));
        Assert.NotNull(e.InnerException);
        // The token was not spent on a node we refused to talk to.
        using var agent = await SimulatedAgent.EnrollAsync(node.Url, token, node.Pin, "h", Ct);
    }

    [Fact]
    public async Task AgentApi_WithCertificateFromAnotherCa_IsRejected()
    {
        await using var node = await TestNode.StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + Guid.NewGuid(), key, HashAlgorithmName.SHA256);
        using var foreign = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var cert = X509CertificateLoader.LoadPkcs12(foreign.Export(X509ContentType.Pkcs12), null);
        using var agent = SimulatedAgent.WithCertificate(node.Url, node.Pin, "x", cert);

        var e = await Assert.ThrowsAsync<AgentApiException>(() => agent.SyncAsync(new SyncRequest(), Ct));
        Assert.Equal(HttpStatusCode.Unauthorized, e.Status);
        Assert.Contains("not issued by this node", e.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AgentApi_WithoutCertificate_IsRejected()
    {
        await using var node = await TestNode.StartAsync();
        using var client = SimulatedAgent.CreateClient(node.Url, new Osprey.Contracts.Security.PinnedServerValidator(node.Pin), null);
        using var response = await client.PostAsync("/agent/v1/sync", new ByteArrayContent([]), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("client certificate", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AgentApi_ForRevokedAgent_IsRejected()
    {
        await using var node = await TestNode.StartAsync();
        using var agent = await node.EnrollAsync();
        await agent.SyncAsync(new SyncRequest(), Ct);
        using var client = node.Operator();
        (await client.PostAsync($"/api/v1/agents/{agent.AgentId}/revoke", null, Ct)).EnsureSuccessStatusCode();

        var e = await Assert.ThrowsAsync<AgentApiException>(() => agent.SyncAsync(new SyncRequest(), Ct));
        Assert.Equal(HttpStatusCode.Unauthorized, e.Status);
        Assert.Contains("revoked", e.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enroll_WithGarbageCsr_IsRejectedClearly()
    {
        await using var node = await TestNode.StartAsync();
        var token = await node.CreateEnrollTokenAsync();
        using var client = SimulatedAgent.CreateClient(node.Url, new Osprey.Contracts.Security.PinnedServerValidator(node.Pin), null);
        var body = new EnrollRequest { Token = token, CsrDer = Google.Protobuf.ByteString.CopyFromUtf8("not a csr") };
        using var response = await client.PostAsync("/agent/v1/enroll", new ByteArrayContent(Google.Protobuf.MessageExtensions.ToByteArray(body)), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("PKCS#10", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }
}
