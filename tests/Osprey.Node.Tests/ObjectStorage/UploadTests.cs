using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Osprey.Contracts.Storage;
using Osprey.Node.ObjectStorage;
using Osprey.Node.Tests.Support;
using Osprey.Testing.Simulator;
using Osprey.Testing.Time;
using static Osprey.Node.Tests.ObjectStorage.UploadCalls;

namespace Osprey.Node.Tests.ObjectStorage;

/// <summary>The chunked upload protocol on a real node over mutual TLS: resume, refusals, limits.</summary>
public sealed class UploadTests
{
    private const int Chunk = 64 * 1024;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task InterruptedUpload_ResumesWhereItStopped_AndStoresTheSameBytes()
    {
        await using var node = await TestNode.StartAsync();
        using var agent = await node.EnrollAsync();
        var content = RandomBytes(5 * Chunk + 123, 1);

        var first = await AgentBeginAsync(agent, content, "evidence.bin", "task-1", Ct);
        for (var i = 0; i < 2; i++)
        {
            using var sent = await ChunkAsync(agent.Http, $"/agent/v1/uploads/{first.UploadId}", i * Chunk, content.AsMemory(i * Chunk, Chunk), Ct);
            Assert.Equal(HttpStatusCode.NoContent, sent.StatusCode);
            Assert.Equal(((i + 1) * Chunk).ToString(System.Globalization.CultureInfo.InvariantCulture), sent.Headers.GetValues(UploadProtocol.OffsetHeader).Single());
        }
        // The agent went away; it begins the same object again and is told where to continue.
        var resumed = await AgentBeginAsync(agent, content, "evidence.bin", "task-1", Ct);
        Assert.Equal(first.UploadId, resumed.UploadId);
        Assert.Equal((ulong)(2 * Chunk), resumed.Offset);
        Assert.False(resumed.Complete);
        await SendFromAsync(agent.Http, $"/agent/v1/uploads/{resumed.UploadId}", content, (long)resumed.Offset, Chunk, Ct);
        var done = await AgentCompleteAsync(agent, resumed.UploadId, Ct);

        Assert.True(done.Complete);
        Assert.Equal(Sha256(content), done.Sha256);
        using var client = node.Operator();
        Assert.Equal(content, await client.GetByteArrayAsync($"/api/v1/storage/{done.Sha256}", Ct));
        var listed = Assert.Single(await ListAsync(client, Ct));
        Assert.Equal(agent.AgentId, listed.GetProperty("agentId").GetString());
        Assert.Equal("task-1", listed.GetProperty("taskId").GetString());
        Assert.Equal("evidence.bin", listed.GetProperty("name").GetString());
        Assert.Equal(content.Length, listed.GetProperty("size").GetInt64());
        Assert.Empty(Directory.GetFiles(Path.Combine(node.DataDir, "storage", "uploads")));
        Assert.True(File.Exists(Path.Combine(node.DataDir, "storage", "objects", done.Sha256[..2], done.Sha256)));
    }

    [Fact]
    public async Task CorruptedChunk_IsRejected_AndNothingIsAppended()
    {
        await using var node = await TestNode.StartAsync();
        using var agent = await node.EnrollAsync();
        var content = RandomBytes(3 * Chunk, 2);
        var upload = await AgentBeginAsync(agent, content, "a.bin", null, Ct);
        using (var sent = await ChunkAsync(agent.Http, $"/agent/v1/uploads/{upload.UploadId}", 0, content.AsMemory(0, Chunk), Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, sent.StatusCode);
        }

        var corrupted = content.AsSpan(Chunk, Chunk).ToArray();
        corrupted[100] ^= 0x40;
        using var refused = await ChunkAsync(agent.Http, $"/agent/v1/uploads/{upload.UploadId}", Chunk, corrupted, Ct, digestOf: content.AsMemory(Chunk, Chunk));

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var problem = await refused.Content.ReadAsStringAsync(Ct);
        Assert.Contains("nothing was appended", problem, StringComparison.Ordinal);
        Assert.Contains(Sha256(content.AsSpan(Chunk, Chunk)), problem, StringComparison.Ordinal);
        Assert.Equal(Chunk, new FileInfo(Path.Combine(node.DataDir, "storage", "uploads", upload.UploadId + ".part")).Length);
        var again = await AgentBeginAsync(agent, content, "a.bin", null, Ct);
        Assert.Equal((ulong)Chunk, again.Offset);
        // The right bytes at the same offset are then taken, and the object completes with the right hash.
        await SendFromAsync(agent.Http, $"/agent/v1/uploads/{upload.UploadId}", content, Chunk, Chunk, Ct);
        Assert.True((await AgentCompleteAsync(agent, upload.UploadId, Ct)).Complete);
    }

    [Fact]
    public async Task ChunkAtTheWrongOffset_IsRefused_WithTheOffsetToContinueFrom()
    {
        await using var node = await TestNode.StartAsync();
        using var agent = await node.EnrollAsync();
        var content = RandomBytes(3 * Chunk, 3);
        var upload = await AgentBeginAsync(agent, content, "a.bin", null, Ct);
        using (var sent = await ChunkAsync(agent.Http, $"/agent/v1/uploads/{upload.UploadId}", 0, content.AsMemory(0, Chunk), Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, sent.StatusCode);
        }

        using var ahead = await ChunkAsync(agent.Http, $"/agent/v1/uploads/{upload.UploadId}", 2 * Chunk, content.AsMemory(2 * Chunk, Chunk), Ct);
        using var again = await ChunkAsync(agent.Http, $"/agent/v1/uploads/{upload.UploadId}", 0, content.AsMemory(0, Chunk), Ct);

        Assert.Equal(HttpStatusCode.Conflict, ahead.StatusCode);
        Assert.Equal(Chunk.ToString(System.Globalization.CultureInfo.InvariantCulture), ahead.Headers.GetValues(UploadProtocol.OffsetHeader).Single());
        Assert.Contains($"is at offset {Chunk}, not {2 * Chunk}", await ahead.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(Chunk, new FileInfo(Path.Combine(node.DataDir, "storage", "uploads", upload.UploadId + ".part")).Length);
    }

    [Fact]
    public async Task ObjectOverTheSizeLimit_IsRefusedWhenItBegins_AndAChunkPastTheDeclaredSizeIsRefused()
    {
        await using var node = await TestNode.StartAsync(configure: o => o with { Storage = o.Storage with { MaxObjectBytes = 1 << 20 } });
        using var agent = await node.EnrollAsync();

        var tooLarge = await Assert.ThrowsAsync<AgentApiException>(() => AgentBeginAsync(agent, new byte[(1 << 20) + 1], "big.bin", null, Ct));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.Status);
        Assert.Contains("the largest object this node stores is 1048576 bytes", tooLarge.Message, StringComparison.Ordinal);

        var content = RandomBytes(Chunk, 4);
        var upload = await AgentBeginAsync(agent, content, "a.bin", null, Ct);
        using var overrun = await ChunkAsync(agent.Http, $"/agent/v1/uploads/{upload.UploadId}", 0, RandomBytes(Chunk + 1, 5), Ct);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, overrun.StatusCode);
        Assert.Contains("runs past the declared size", await overrun.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(0, new FileInfo(Path.Combine(node.DataDir, "storage", "uploads", upload.UploadId + ".part")).Length);
    }

    [Fact]
    public async Task WholeObjectHashMismatch_IsRefused_AndTheUploadIsDiscarded()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Operator();
        var content = RandomBytes(2 * Chunk, 6);
        var declared = Sha256(RandomBytes(2 * Chunk, 7));

        var state = await OperatorBeginAsync(client, content, "x.bin", Ct, declared);
        var uploadId = state.GetProperty("uploadId").GetString()!;
        await SendFromAsync(client, $"/api/v1/storage/uploads/{uploadId}", content, 0, Chunk, Ct);
        using var completed = await client.PostAsync($"/api/v1/storage/uploads/{uploadId}/complete", null, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, completed.StatusCode);
        var problem = await completed.Content.ReadAsStringAsync(Ct);
        Assert.Contains($"hash to SHA-256 {Sha256(content)}, not the declared {declared}", problem, StringComparison.Ordinal);
        Assert.Empty(await ListAsync(client, Ct));
        Assert.Empty(Directory.GetFiles(Path.Combine(node.DataDir, "storage", "uploads")));
        var again = await OperatorBeginAsync(client, content, "x.bin", Ct, declared);
        Assert.Equal(0, again.GetProperty("offset").GetInt64());
        Assert.NotEqual(uploadId, again.GetProperty("uploadId").GetString());
    }

    [Fact]
    public async Task CompletingBeforeEveryByteArrived_IsRefused()
    {
        await using var node = await TestNode.StartAsync();
        using var agent = await node.EnrollAsync();
        var content = RandomBytes(2 * Chunk, 8);
        var upload = await AgentBeginAsync(agent, content, "a.bin", null, Ct);
        using (await ChunkAsync(agent.Http, $"/agent/v1/uploads/{upload.UploadId}", 0, content.AsMemory(0, Chunk), Ct))
        {
        }

        var early = await Assert.ThrowsAsync<AgentApiException>(() => AgentCompleteAsync(agent, upload.UploadId, Ct));

        Assert.Equal(HttpStatusCode.Conflict, early.Status);
        Assert.Contains($"holds {Chunk} of {2 * Chunk} bytes", early.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChunkCutOffMidway_LeavesTheUploadWhereItWas()
    {
        await using var node = await TestNode.StartAsync();
        using var agent = await node.EnrollAsync();
        var content = RandomBytes(4 * Chunk, 9);
        var upload = await AgentBeginAsync(agent, content, "a.bin", null, Ct);

        using var request = new HttpRequestMessage(HttpMethod.Patch, $"/agent/v1/uploads/{upload.UploadId}")
        {
            Content = new StreamContent(new FailingStream(content.AsMemory(0, 2 * Chunk), failAfter: Chunk + 1000)),
        };
        request.Content.Headers.ContentLength = 2 * Chunk;
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(UploadProtocol.ChunkContentType);
        request.Headers.Add(UploadProtocol.OffsetHeader, "0");
        request.Headers.Add(UploadProtocol.DigestHeader, UploadProtocol.FormatDigest(System.Security.Cryptography.SHA256.HashData(content.AsSpan(0, 2 * Chunk))));
        await Assert.ThrowsAnyAsync<Exception>(() => agent.Http.SendAsync(request, Ct));

        // The node notices the broken request on its own time; requests for the upload wait for its lock meanwhile.
        var again = await AgentBeginAsync(agent, content, "a.bin", null, Ct);
        Assert.Equal(0UL, again.Offset);
        await SendFromAsync(agent.Http, $"/agent/v1/uploads/{upload.UploadId}", content, 0, Chunk, Ct);
        Assert.True((await AgentCompleteAsync(agent, upload.UploadId, Ct)).Complete);
        using var client = node.Operator();
        Assert.Equal(content, await client.GetByteArrayAsync($"/api/v1/storage/{Sha256(content)}", Ct));
    }

    [Fact]
    public async Task StoredObject_CompletesAtOnce_ForAnyUploader()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Operator();
        var content = RandomBytes(Chunk + 7, 10);
        await PutAsync(client, content, "first.bin", Ct);
        using var agent = await node.EnrollAsync();

        var state = await AgentBeginAsync(agent, content, "second.bin", null, Ct);

        Assert.True(state.Complete);
        Assert.Equal("", state.UploadId);
        Assert.Equal((ulong)content.Length, state.Offset);
        Assert.Equal("first.bin", Assert.Single(await ListAsync(client, Ct)).GetProperty("name").GetString());
    }

    [Fact]
    public async Task ConcurrentUploadsOfTheSameObject_StoreItOnce()
    {
        await using var node = await TestNode.StartAsync();
        var agents = new List<SimulatedAgent>();
        for (var i = 0; i < 4; i++)
        {
            agents.Add(await node.EnrollAsync($"host-{i}"));
        }
        var content = RandomBytes(8 * Chunk, 11);

        var results = await Task.WhenAll(agents.Select(async agent =>
        {
            var upload = await AgentBeginAsync(agent, content, "same.bin", null, Ct);
            if (upload.Complete)
            {
                return upload;
            }
            await SendFromAsync(agent.Http, $"/agent/v1/uploads/{upload.UploadId}", content, (long)upload.Offset, Chunk, Ct);
            return await AgentCompleteAsync(agent, upload.UploadId, Ct);
        }));

        Assert.All(results, r => Assert.True(r.Complete));
        using var client = node.Operator();
        Assert.Single(await ListAsync(client, Ct));
        Assert.Equal(content, await client.GetByteArrayAsync($"/api/v1/storage/{Sha256(content)}", Ct));
        Assert.Empty(Directory.GetFiles(Path.Combine(node.DataDir, "storage", "uploads")));
        agents.ForEach(a => a.Dispose());
    }

    [Fact]
    public async Task AbandonedUpload_ExpiresAfterTheConfiguredTime()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var node = await TestNode.StartAsync(clock, o => o with { Storage = o.Storage with { UploadExpiryHours = 2 } });
        using var agent = await node.EnrollAsync();
        var content = RandomBytes(2 * Chunk, 12);
        var upload = await AgentBeginAsync(agent, content, "a.bin", null, Ct);
        using (await ChunkAsync(agent.Http, $"/agent/v1/uploads/{upload.UploadId}", 0, content.AsMemory(0, Chunk), Ct))
        {
        }
        var store = node.Services.GetRequiredService<ObjectStore>();

        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, store.ExpireUploads());
        clock.Advance(TimeSpan.FromHours(1.5));
        Assert.Equal(1, store.ExpireUploads());

        Assert.False(File.Exists(Path.Combine(node.DataDir, "storage", "uploads", upload.UploadId + ".part")));
        using var late = await ChunkAsync(agent.Http, $"/agent/v1/uploads/{upload.UploadId}", Chunk, content.AsMemory(Chunk, Chunk), Ct);
        Assert.Equal(HttpStatusCode.NotFound, late.StatusCode);
        Assert.Equal(0UL, (await AgentBeginAsync(agent, content, "a.bin", null, Ct)).Offset);
    }

    [Fact]
    public async Task UploadFromAnotherAgent_IsNotFound()
    {
        await using var node = await TestNode.StartAsync();
        using var owner = await node.EnrollAsync("owner");
        using var other = await node.EnrollAsync("other");
        var content = RandomBytes(Chunk, 13);
        var upload = await AgentBeginAsync(owner, content, "a.bin", null, Ct);

        using var foreign = await ChunkAsync(other.Http, $"/agent/v1/uploads/{upload.UploadId}", 0, content, Ct);

        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        using var anonymous = SimulatedAgent.CreateClient(node.Url, new Osprey.Contracts.Security.PinnedServerValidator(node.Pin), null);
        using var refused = await ChunkAsync(anonymous, $"/agent/v1/uploads/{upload.UploadId}", 0, content, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    /// <summary>Gives the first bytes of the data, then fails as a dropped connection would.</summary>
    private sealed class FailingStream(ReadOnlyMemory<byte> data, int failAfter) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => data.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_position >= failAfter)
            {
                throw new IOException("connection dropped (test)");
            }
            var n = Math.Min(Math.Min(buffer.Length, failAfter - _position), 8192);
            data.Span.Slice(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
