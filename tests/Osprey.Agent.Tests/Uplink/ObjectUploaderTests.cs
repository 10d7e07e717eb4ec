using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Osprey.Agent.Uplink;
using Osprey.Contracts.Security;
using Osprey.Testing.Paths;
using Osprey.Testing.Processes;
using Osprey.Testing.Simulator;

namespace Osprey.Agent.Tests.Uplink;

/// <summary>The agent's uploader against a real node process over mutual TLS, including a node killed and restarted mid-upload.</summary>
public sealed class ObjectUploaderTests
{
    private const int Chunk = 256 * 1024;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly ObjectUploaderOptions Quick = new()
    {
        ChunkBytes = Chunk,
        BackoffInitial = TimeSpan.FromMilliseconds(100),
        BackoffMax = TimeSpan.FromMilliseconds(500),
        RequestTimeout = TimeSpan.FromSeconds(20),
        GiveUpAfter = TimeSpan.FromSeconds(60),
    };

    [Fact]
    public async Task Upload_StoresTheFile_AndASecondUploadSendsNothing()
    {
        await using var node = await NodeProcess.InitAsync(Ct);
        await node.StartAsync(Ct);
        using var agent = await EnrollAsync(node);
        using var connector = Connector(node, agent);
        var uploader = new ObjectUploader(connector, Quick, TimeProvider.System, NullLogger<ObjectUploader>.Instance);
        using var dir = new TempDirectory("osprey-upload");
        var path = Path.Combine(dir.Path, "evidence.bin");
        var content = RandomNumberGenerator.GetBytes(10 * Chunk + 17);
        await File.WriteAllBytesAsync(path, content, Ct);

        var sha256 = await uploader.UploadAsync(path, "evidence.bin", "task-42", Ct);
        var sentFirst = uploader.BytesSent;
        var again = await uploader.UploadAsync(path, "evidence.bin", "task-43", Ct);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), sha256);
        Assert.Equal(sha256, again);
        Assert.Equal(content.Length, sentFirst);
        Assert.Equal(content.Length, uploader.BytesSent);
        using var api = Operator(node);
        Assert.Equal(content, await api.GetByteArrayAsync($"/api/v1/storage/{sha256}", Ct));
        var listed = (await api.GetFromJsonAsync<JsonElement>("/api/v1/storage", Ct))[0];
        Assert.Equal(agent.AgentId, listed.GetProperty("agentId").GetString());
        Assert.Equal("task-42", listed.GetProperty("taskId").GetString());
    }

    [Fact]
    public async Task NodeKilledMidUpload_TheUploadResumesAfterTheRestart_WithoutResendingWhatTheNodeHeld()
    {
        await using var node = await NodeProcess.InitAsync(Ct);
        await node.StartAsync(Ct);
        using var agent = await EnrollAsync(node);
        using var connector = Connector(node, agent);
        var uploader = new ObjectUploader(connector, Quick, TimeProvider.System, NullLogger<ObjectUploader>.Instance);
        var content = RandomNumberGenerator.GetBytes(40 * Chunk);
        Task? restart = null;
        // The first pass over the content is the hash; the kill comes when the chunks are 40% through.
        using var stream = new ObservedStream(content, content.Length + (long)(content.Length * 0.4), () =>
        {
            node.Kill();
            restart = Task.Run(async () =>
            {
                await Task.Delay(1500, Ct);
                await node.StartAsync(Ct);
            }, Ct);
        });

        var sha256 = await uploader.UploadAsync(stream, "memory.core", null, "memory-dump", Ct);

        Assert.NotNull(restart);
        await restart;
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), sha256);
        Assert.Equal(1, uploader.Resumes);
        Assert.Equal(content.Length, uploader.BytesSent);
        using var api = Operator(node);
        Assert.Equal(content, await api.GetByteArrayAsync($"/api/v1/storage/{sha256}", Ct));
    }

    private static async Task<SimulatedAgent> EnrollAsync(NodeProcess node)
    {
        using var api = Operator(node);
        using var created = await api.PostAsJsonAsync("/api/v1/tokens", new { ttlSeconds = 600, uses = 1 }, Ct);
        created.EnsureSuccessStatusCode();
        var token = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("token").GetString()!;
        return await SimulatedAgent.EnrollAsync(node.Url, token, node.Pin, "uploader-host", Ct);
    }

    private static NodeConnector Connector(NodeProcess node, SimulatedAgent agent) =>
        new(new UplinkSettings([node.Url.ToString()], node.Pin, null, null, null), agent.Certificate, new ConnectionStatus(TimeProvider.System), TimeProvider.System);

    private static HttpClient Operator(NodeProcess node)
    {
        var client = SimulatedAgent.CreateClient(node.Url, new PinnedServerValidator(node.Pin), null);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", node.AdminToken);
        return client;
    }

    /// <summary>A seekable view of the bytes that runs an action once, when the total bytes read pass a mark.</summary>
    private sealed class ObservedStream(byte[] data, long mark, Action action) : Stream
    {
        private readonly MemoryStream _inner = new(data, writable: false);
        private long _read;
        private bool _fired;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => _inner.Length;
        public override long Position { get => _inner.Position; set => _inner.Position = value; }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var read = _inner.Read(buffer);
            _read += read;
            if (!_fired && _read >= mark)
            {
                _fired = true;
                action();
            }
            return read;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override long Seek(long offset, SeekOrigin origin) => _inner.Seek(offset, origin);

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            _inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
