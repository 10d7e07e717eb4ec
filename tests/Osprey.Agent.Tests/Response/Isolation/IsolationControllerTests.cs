using Microsoft.Extensions.Logging.Abstractions;
using Osprey.Agent.Response.Isolation;
using Osprey.Contracts.Isolation;
using Osprey.Contracts.V1;
using Osprey.Testing.Network;
using Osprey.Testing.Paths;
using Xunit;

namespace Osprey.Agent.Tests.Response.Isolation;

/// <summary>
/// The controller with the real nft, always inside a namespace of the test's own (through its nft wrapper); the node
/// probe is the only stand-in, for fault injection (a node that answers or not).
/// </summary>
public sealed class IsolationControllerTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly TempDirectory _state = new("osprey-isolation");
    private TestNetwork _network = null!;
    private bool _nodeAnswers = true;

    public async ValueTask InitializeAsync() => _network = await TestNetwork.CreateAsync(0, Ct);

    public async ValueTask DisposeAsync()
    {
        await _network.DisposeAsync();
        _state.Dispose();
    }

    private string StatePath => Path.Combine(_state.Path, "isolation.pb");

    private IsolationController Controller(TimeSpan? verify = null) => new(
        new IsolationStore(StatePath),
        new AllowList([$"https://{_network.HostAddress}:8443"], null, [], []),
        new Nft(_network.NftWrapper),
        new IsolationGuard(null),
        (_, _) => _nodeAnswers ? Task.CompletedTask : Task.FromException(new IOException("no answer")),
        verify ?? TimeSpan.FromSeconds(1),
        TimeProvider.System,
        NullLogger<IsolationController>.Instance);

    /// <summary>Where the name "node.osprey.test" resolves now; null: it does not resolve (the stand-in for a moving DNS record).</summary>
    private string? _namedNodeAt = "192.0.2.10";

    private IsolationController NamedNodeController(TimeSpan? resolveInterval = null) => new(
        new IsolationStore(StatePath),
        new AllowList(["https://node.osprey.test:8443"], null, [], [], (name, _) => name == "node.osprey.test" && _namedNodeAt is { } at
            ? Task.FromResult(new[] { System.Net.IPAddress.Parse(at) })
            : Task.FromException<System.Net.IPAddress[]>(new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.HostNotFound))),
        new Nft(_network.NftWrapper),
        new IsolationGuard(null),
        (_, _) => _nodeAnswers ? Task.CompletedTask : Task.FromException(new IOException("no answer")),
        TimeSpan.FromSeconds(1),
        TimeProvider.System,
        NullLogger<IsolationController>.Instance,
        resolveInterval);

    private Task<string?> TableAsync() => _network.ListTableAsync("inet", "osprey_isolation", Ct);

    [Fact]
    public async Task Isolate_ThatCutsTheNode_IsRolledBackWhole()
    {
        _nodeAnswers = false;
        var controller = Controller();
        var result = await controller.IsolateAsync(new IsolateParams(), [], "t1", Ct);

        Assert.True(result.RolledBack);
        Assert.Contains("could not reach its node", result.Error, StringComparison.Ordinal);
        Assert.Equal(IsolationState.Off, controller.State);
        Assert.Null(await TableAsync());
        Assert.False(File.Exists(StatePath) && IsolationSettings.Parser.ParseFrom(File.ReadAllBytes(StatePath)).Active);
    }

    [Fact]
    public async Task ReIsolate_ThatCutsTheNode_RestoresTheIsolationInForce()
    {
        var controller = Controller();
        var first = new IsolateParams { Exclusions = { ExclusionSyntax.Parse("dir=out,proto=tcp,addr=192.0.2.7,rport=443") } };
        Assert.Equal(IsolationState.On, (await controller.IsolateAsync(first, ExclusionRule.From(first).Rules, "t1", Ct)).State);
        var before = await TableAsync();

        _nodeAnswers = false;
        var second = new IsolateParams { Exclusions = { ExclusionSyntax.Parse("dir=out,proto=udp,addr=192.0.2.8,rport=53") } };
        var result = await controller.IsolateAsync(second, ExclusionRule.From(second).Rules, "t2", Ct);

        Assert.True(result.RolledBack);
        Assert.Equal(IsolationState.On, controller.State);
        Assert.Equal(before, await TableAsync());
        Assert.Equal("t1", IsolationSettings.Parser.ParseFrom(File.ReadAllBytes(StatePath)).TaskId);
    }

    [Fact]
    public async Task Restart_AppliesTheStoredIsolationAgain()
    {
        var parameters = new IsolateParams { Exclusions = { ExclusionSyntax.Parse("dir=out,proto=tcp,addr=192.0.2.7,rport=443") } };
        await Controller().IsolateAsync(parameters, ExclusionRule.From(parameters).Rules, "t1", Ct);
        var applied = await TableAsync();
        Assert.NotNull(applied);

        // A reboot empties the kernel's ruleset; the next start puts it back from the state directory.
        Assert.Equal(0, (await _network.ExecAsync("nft", ["flush", "ruleset"], cancellationToken: Ct)).ExitCode);
        Assert.Null(await TableAsync());
        var restarted = Controller();
        await restarted.RestoreAsync(Ct);

        Assert.Equal(IsolationState.On, restarted.State);
        Assert.Equal(applied, await TableAsync());
    }

    [Fact]
    public async Task Restart_AfterTheReleaseTime_Releases()
    {
        var parameters = new IsolateParams { ReleaseAtUs = DateTimeOffset.UtcNow.AddSeconds(1).ToUnixTimeMilliseconds() * 1000 };
        await Controller().IsolateAsync(parameters, [], "t1", Ct);
        Assert.NotNull(await TableAsync());
        await Task.Delay(TimeSpan.FromSeconds(1.5), Ct); // the agent is "down" past the release time

        var restarted = Controller();
        await restarted.RestoreAsync(Ct);

        Assert.Equal(IsolationState.Off, restarted.State);
        Assert.Null(await TableAsync());
        Assert.False(IsolationSettings.Parser.ParseFrom(File.ReadAllBytes(StatePath)).Active);
    }

    [Fact]
    public async Task Start_RemovesATableNoStoredIsolationAccountsFor()
    {
        // As if the agent died between applying a ruleset and storing it.
        await new Nft(_network.NftWrapper).ApplyAsync(NftRuleset.Apply(new IsolationPlan([], [], [])), Ct);
        var controller = Controller();
        await controller.RestoreAsync(Ct);

        Assert.Equal(IsolationState.Off, controller.State);
        Assert.Null(await TableAsync());
    }

    [Fact]
    public async Task ReleaseTime_ReleasesWhileRunning()
    {
        var controller = Controller();
        var releaseAt = DateTimeOffset.UtcNow.AddSeconds(2);
        await controller.IsolateAsync(new IsolateParams { ReleaseAtUs = releaseAt.ToUnixTimeMilliseconds() * 1000 }, [], "t1", Ct);
        Assert.Equal(releaseAt.ToUnixTimeMilliseconds() * 1000, controller.ReleaseAtUs);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var watching = controller.RunAsync(stop.Token);

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (controller.State == IsolationState.On && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, Ct);
        }
        Assert.Equal(IsolationState.Off, controller.State);
        Assert.True(DateTimeOffset.UtcNow >= releaseAt, "released before its time");
        Assert.Null(await TableAsync());
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watching);
    }

    [Fact]
    public async Task ReleaseTime_InThePast_IsRefusedAndNothingApplied()
    {
        var controller = Controller();
        var error = await Assert.ThrowsAsync<IsolationException>(() =>
            controller.IsolateAsync(new IsolateParams { ReleaseAtUs = DateTimeOffset.UtcNow.AddSeconds(-1).ToUnixTimeMilliseconds() * 1000 }, [], "t1", Ct));
        Assert.Contains("already passed", error.Message, StringComparison.Ordinal);
        Assert.Null(await TableAsync());
    }

    [Fact]
    public async Task Guard_OutsideItsNamespace_RefusesBeforeTouchingTheFirewall()
    {
        // The test process runs in the machine's namespace, not in the one the guard names.
        var guarded = new IsolationController(
            new IsolationStore(StatePath), new AllowList([$"https://{_network.HostAddress}:8443"], null, [], []), new Nft("/nonexistent/nft"),
            new IsolationGuard(_network.Namespace), (_, _) => Task.CompletedTask, TimeSpan.FromSeconds(1), TimeProvider.System,
            NullLogger<IsolationController>.Instance);
        var error = await Assert.ThrowsAsync<IsolationException>(() => guarded.IsolateAsync(new IsolateParams(), [], "t1", Ct));
        Assert.Contains("only inside the network namespace", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ANodeNameThatMovesWhileIsolated_IsFollowed_AtTheResolveInterval()
    {
        var controller = NamedNodeController(TimeSpan.FromSeconds(1));
        Assert.Equal(IsolationState.On, (await controller.IsolateAsync(new IsolateParams(), [], "t1", Ct)).State);
        Assert.Contains("192.0.2.10", await TableAsync(), StringComparison.Ordinal);
        using var running = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var watch = controller.RunAsync(running.Token);

        _namedNodeAt = "192.0.2.20";
        var deadline = DateTime.UtcNow.AddSeconds(20);
        string? table;
        while (!((table = await TableAsync()) ?? "").Contains("192.0.2.20", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"the ruleset still allows only the old address:\n{table}");
            await Task.Delay(200, Ct);
        }
        await running.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watch);

        Assert.DoesNotContain("192.0.2.10", table, StringComparison.Ordinal);
        Assert.Equal(IsolationState.On, controller.State);
    }

    [Fact]
    public async Task ANodeNameThatMovesToWhereTheNodeDoesNotAnswer_KeepsTheRulesetInForce()
    {
        var controller = NamedNodeController();
        await controller.IsolateAsync(new IsolateParams(), [], "t1", Ct);
        var before = await TableAsync();

        _nodeAnswers = false;
        _namedNodeAt = "192.0.2.30";
        Assert.False(await controller.ResolveAgainAsync(Ct));

        Assert.Equal(before, await TableAsync());
        Assert.Equal(IsolationState.On, controller.State);
    }

    [Fact]
    public async Task ANodeNameThatNoLongerResolves_KeepsTheRulesetInForce()
    {
        var controller = NamedNodeController();
        await controller.IsolateAsync(new IsolateParams(), [], "t1", Ct);
        var before = await TableAsync();

        _namedNodeAt = null;
        Assert.False(await controller.ResolveAgainAsync(Ct));

        Assert.Equal(before, await TableAsync());
        Assert.Equal(IsolationState.On, controller.State);
    }
}
