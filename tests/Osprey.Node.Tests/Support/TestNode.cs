using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Osprey.Contracts.Security;
using Osprey.Node.Configuration;
using Osprey.Node.Hosting;
using Osprey.Testing.Paths;
using Osprey.Testing.Simulator;

namespace Osprey.Node.Tests.Support;

/// <summary>A real node (Kestrel, HTTPS, SQLite) on a loopback port in a temporary data directory.</summary>
public sealed class TestNode : IAsyncDisposable
{
    private readonly TempDirectory _dir;
    private readonly WebApplication _app;

    private TestNode(TempDirectory dir, WebApplication app, NodeInitializer.Result init, Uri url)
    {
        _dir = dir;
        _app = app;
        Pin = init.Pin;
        AdminToken = init.AdminToken;
        Url = url;
    }

    public string DataDir => _dir.Path;

    public string Pin { get; }

    public string AdminToken { get; }

    public Uri Url { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Initialises a node, lets <paramref name="configure"/> change its options, and starts it.</summary>
    public static async Task<TestNode> StartAsync(TimeProvider? time = null, Func<NodeOptions, NodeOptions>? configure = null)
    {
        var dir = new TempDirectory("osprey-node");
        var port = FreePort.Next();
        var listen = string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{port}");
        var init = NodeInitializer.Initialize(dir.Path, listen, NodeRole.Standalone, time ?? TimeProvider.System);
        if (configure is not null)
        {
            var paths = new NodePaths(dir.Path);
            var options = configure(NodeInitializer.LoadOptions(paths));
            File.WriteAllBytes(paths.Options, JsonSerializer.SerializeToUtf8Bytes(options, NodeJsonContext.Default.NodeOptions));
        }
        var app = NodeHost.Build(dir.Path, time);
        await app.StartAsync().ConfigureAwait(false);
        return new TestNode(dir, app, init, new Uri($"https://{listen}"));
    }

    /// <summary>An operator API client pinned to this node, authenticated with the token.</summary>
    public HttpClient Operator(string? token = null)
    {
        var client = SimulatedAgent.CreateClient(Url, new PinnedServerValidator(Pin), null);
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token ?? AdminToken);
        return client;
    }

    public async Task<string> CreateEnrollTokenAsync(long ttlSeconds = 3600, int uses = 1)
    {
        using var client = Operator();
        using var response = await client.PostAsJsonAsync("/api/v1/tokens", new { ttlSeconds, uses }).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>().ConfigureAwait(false);
        return body.GetProperty("token").GetString()!;
    }

    public async Task<SimulatedAgent> EnrollAsync(string hostName = "sim-host")
    {
        var token = await CreateEnrollTokenAsync().ConfigureAwait(false);
        return await SimulatedAgent.EnrollAsync(Url, token, Pin, hostName, CancellationToken.None).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _dir.Dispose();
    }
}
