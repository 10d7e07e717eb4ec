using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Osprey.Agent.Uplink;
using Osprey.Contracts.Security;
using Osprey.Testing.Processes;
using Osprey.Testing.Simulator;

namespace Osprey.Bench;

/// <summary>A real node process and the agent's uploader enrolled to it over mutual TLS on loopback, for benchmarks that store objects.</summary>
internal sealed class BenchStorage : IAsyncDisposable
{
    private BenchStorage(NodeProcess node, HttpClient api, SimulatedAgent agent, NodeConnector connector, ObjectUploader uploader)
    {
        Node = node;
        Api = api;
        Agent = agent;
        Connector = connector;
        Uploader = uploader;
    }

    public NodeProcess Node { get; }

    /// <summary>The operator API, as the node's administrator.</summary>
    public HttpClient Api { get; }

    public SimulatedAgent Agent { get; }

    public NodeConnector Connector { get; }

    public ObjectUploader Uploader { get; }

    public static async Task<BenchStorage> StartAsync(ObjectUploaderOptions options, CancellationToken cancellationToken)
    {
        var node = await NodeProcess.InitAsync(cancellationToken);
        await node.StartAsync(cancellationToken);
        var api = SimulatedAgent.CreateClient(node.Url, new PinnedServerValidator(node.Pin), null);
        api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", node.AdminToken);
        using var created = await api.PostAsJsonAsync("/api/v1/tokens", new { ttlSeconds = 600, uses = 1 }, cancellationToken);
        var token = (await created.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("token").GetString()!;
        var agent = await SimulatedAgent.EnrollAsync(node.Url, token, node.Pin, "bench-storage", cancellationToken);
        var connector = new NodeConnector(
            new UplinkSettings([node.Url.ToString()], node.Pin, null, null, null), agent.Certificate, new ConnectionStatus(TimeProvider.System), TimeProvider.System);
        var uploader = new ObjectUploader(connector, options, TimeProvider.System, NullLogger<ObjectUploader>.Instance);
        return new BenchStorage(node, api, agent, connector, uploader);
    }

    /// <summary>The size the node records for an object; -1 when it holds none with that SHA-256.</summary>
    public async Task<long> StoredSizeAsync(string sha256, CancellationToken cancellationToken)
    {
        var stored = await Api.GetFromJsonAsync<JsonElement>($"/api/v1/storage?sha256={sha256}", cancellationToken);
        return stored.GetArrayLength() == 1 ? stored[0].GetProperty("size").GetInt64() : -1;
    }

    public async ValueTask DisposeAsync()
    {
        Connector.Dispose();
        Agent.Dispose();
        Api.Dispose();
        await Node.DisposeAsync();
    }
}
