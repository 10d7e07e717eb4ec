using Microsoft.Extensions.Logging;
using Osprey.Contracts.Isolation;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Response.Isolation;

/// <summary>
/// Puts isolation on and off, one change at a time. Isolating applies the ruleset, then checks that the node still
/// answers through it (a real request over the uplink) and rolls back to what was in force before when it does not
/// within the verification time; only a verified isolation is stored. Releasing stores "off" first, then removes the
/// table. At start the stored isolation is applied again (or released, when its release time passed while the agent
/// was down) and a table left by an isolation that was never stored is removed; afterwards the release time is watched.
/// </summary>
internal sealed partial class IsolationController(
    IsolationStore store, AllowList allowList, Nft nft, IsolationGuard guard, Func<TimeSpan, CancellationToken, Task> probeNode,
    TimeSpan verifyTime, TimeProvider time, ILogger<IsolationController> logger, TimeSpan? resolveInterval = null)
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);
    private readonly TimeSpan _resolveInterval = resolveInterval ?? TimeSpan.FromSeconds(60);
    private DateTimeOffset _lastResolve;
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(30);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IsolationSettings _settings = new();
    private IsolationPlan? _plan;
    private DateTimeOffset _lastRestoreAttempt;

    /// <summary>On, off, or failed (stored isolation that could not be applied, or rules that could not be removed).</summary>
    public IsolationState State { get; private set; } = IsolationState.Off;

    /// <summary>When isolation releases itself, Unix microseconds; 0 when it does not (or is off).</summary>
    public long ReleaseAtUs => _settings.Active ? _settings.Params?.ReleaseAtUs ?? 0 : 0;

    private long NowUs => time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;

    /// <summary>At start: applies the stored isolation again, releases it when its time has passed, or clears a stray table.</summary>
    public async Task RestoreAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await RestoreLockedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Watches the release time (and retries a failed restore) until <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Tick, time);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            if (State == IsolationState.On && ReleaseAtUs > 0 && NowUs >= ReleaseAtUs)
            {
                try
                {
                    await ReleaseAsync("its release time came", cancellationToken).ConfigureAwait(false);
                }
                catch (IsolationException e)
                {
                    LogReleaseFailed(logger, e.Message);
                }
            }
            else if (State == IsolationState.Failed && _settings.Active && time.GetUtcNow() - _lastRestoreAttempt >= RetryAfterFailure)
            {
                await RestoreAsync(cancellationToken).ConfigureAwait(false);
            }
            else if (State == IsolationState.On && allowList.HasNames && time.GetUtcNow() - _lastResolve >= _resolveInterval)
            {
                await ResolveAgainAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Isolates with <paramref name="rules"/> (validated from <paramref name="parameters"/>). Throws
    /// <see cref="IsolationException"/> when the ruleset cannot be built or applied (nothing changed then); returns a result
    /// with <c>RolledBack</c> set when the node could not be reached through it.
    /// </summary>
    public async Task<IsolateResult> IsolateAsync(IsolateParams parameters, IReadOnlyList<ExclusionRule> rules, string taskId, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (guard.Refusal() is { } refusal)
            {
                throw new IsolationException(refusal);
            }
            if (parameters.ReleaseAtUs != 0 && parameters.ReleaseAtUs <= NowUs)
            {
                throw new IsolationException("the release time has already passed");
            }
            var plan = await allowList.PlanAsync(rules, cancellationToken).ConfigureAwait(false);
            if (!await ApplyVerifiedAsync(plan, cancellationToken).ConfigureAwait(false))
            {
                LogRolledBack(logger, taskId);
                var error = $"the agent could not reach its node through the new ruleset within {verifyTime.TotalSeconds:0} s; the isolation was rolled back";
                return new IsolateResult { State = State, RolledBack = true, Error = error };
            }
            var settings = new IsolationSettings { Active = true, Params = parameters, TaskId = taskId, AppliedUs = NowUs };
            try
            {
                store.Save(settings);
            }
            catch (IsolationException)
            {
                // Unstored, it would not come back after a reboot: refuse it whole.
                await RollBackAsync().ConfigureAwait(false);
                throw;
            }
            (_settings, _plan, State, _lastResolve) = (settings, plan, IsolationState.On, time.GetUtcNow());
            LogIsolated(logger, taskId, plan.Nodes.Count, rules.Count, parameters.ReleaseAtUs);
            return new IsolateResult { State = IsolationState.On, ReleaseAtUs = parameters.ReleaseAtUs };
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Ends isolation (also when none is in force: a stray table is removed). Throws <see cref="IsolationException"/> when it cannot.</summary>
    public async Task<ReleaseResult> ReleaseAsync(string why, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (guard.Refusal() is { } refusal)
            {
                throw new IsolationException(refusal);
            }
            var off = new IsolationSettings { Active = false, AppliedUs = NowUs };
            // Stored first: should the agent stop between the two steps, the next start removes the table.
            store.Save(off);
            _settings = off;
            _plan = null;
            try
            {
                await nft.ApplyAsync(NftRuleset.Remove(), CancellationToken.None).ConfigureAwait(false);
            }
            catch (IsolationException)
            {
                State = IsolationState.Failed;
                throw;
            }
            State = IsolationState.Off;
            LogReleased(logger, why);
            return new ReleaseResult { State = IsolationState.Off };
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// While isolated: resolves the node and proxy names again and, when their addresses (or the DNS servers) changed,
    /// applies the ruleset with the new ones, verified like an isolation (the node must answer through it, or the
    /// ruleset in force stays). A name that does not resolve now leaves the ruleset as it is. True when it changed.
    /// </summary>
    public async Task<bool> ResolveAgainAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _lastResolve = time.GetUtcNow();
            if (State != IsolationState.On || _plan is not { } current || guard.Refusal() is not null)
            {
                return false;
            }
            IsolationPlan fresh;
            try
            {
                fresh = await allowList.PlanAsync(current.Exclusions, cancellationToken).ConfigureAwait(false);
            }
            catch (IsolationException e)
            {
                LogResolveFailed(logger, e.Message);
                return false;
            }
            if (fresh.Nodes.ToHashSet().SetEquals(current.Nodes) && fresh.DnsServers.ToHashSet().SetEquals(current.DnsServers))
            {
                return false;
            }
            if (!await ApplyVerifiedAsync(fresh, cancellationToken).ConfigureAwait(false))
            {
                LogMovedNodeNotReached(logger, Describe(fresh.Nodes));
                return false;
            }
            _plan = fresh;
            LogNodeMoved(logger, Describe(current.Nodes), Describe(fresh.Nodes));
            return true;
        }
        catch (IsolationException e)
        {
            // The ruleset could not be applied (nft replaces it whole, so the one in force stays) or rolled back.
            LogResolveFailed(logger, e.Message);
            return false;
        }
        finally
        {
            _gate.Release();
        }
    }

    private static string Describe(IReadOnlyList<NodeEndpoint> nodes) => string.Join(", ", nodes.Select(n => $"{n.Address}:{n.Port}"));

    private async Task RestoreLockedAsync(CancellationToken cancellationToken)
    {
        _lastRestoreAttempt = time.GetUtcNow();
        try
        {
            _settings = store.Load();
        }
        catch (IsolationException e)
        {
            // Whatever the kernel holds stays: without the stored state the agent cannot tell what to remove.
            State = IsolationState.Failed;
            LogRestoreFailed(logger, e.Message);
            return;
        }
        var refusal = guard.Refusal();
        if (!_settings.Active)
        {
            State = IsolationState.Off;
            if (refusal is null)
            {
                await RemoveStrayTableAsync(cancellationToken).ConfigureAwait(false);
            }
            return;
        }
        var releaseAt = _settings.Params?.ReleaseAtUs ?? 0;
        try
        {
            if (refusal is not null)
            {
                throw new IsolationException(refusal);
            }
            if (releaseAt > 0 && releaseAt <= NowUs)
            {
                var off = new IsolationSettings { Active = false, AppliedUs = NowUs };
                store.Save(off);
                _settings = off;
                await nft.ApplyAsync(NftRuleset.Remove(), cancellationToken).ConfigureAwait(false);
                State = IsolationState.Off;
                LogReleased(logger, "its release time passed while the agent was not running");
                return;
            }
            var (rules, problem) = ExclusionRule.From(_settings.Params ?? new IsolateParams());
            if (problem is not null)
            {
                throw new IsolationException($"the stored isolation is not valid: {problem}");
            }
            // Not verified against the node: a node that is down must not lift the isolation of a host it cannot see.
            var plan = await allowList.PlanAsync(rules, cancellationToken).ConfigureAwait(false);
            await nft.ApplyAsync(NftRuleset.Apply(plan), cancellationToken).ConfigureAwait(false);
            (_plan, State, _lastResolve) = (plan, IsolationState.On, time.GetUtcNow());
            LogRestored(logger, _settings.TaskId, releaseAt);
        }
        catch (IsolationException e)
        {
            State = IsolationState.Failed;
            LogRestoreFailed(logger, e.Message);
        }
    }

    private async Task RemoveStrayTableAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (await nft.ListTableAsync(NftRuleset.Family, NftRuleset.Table, cancellationToken).ConfigureAwait(false) is not null)
            {
                await nft.ApplyAsync(NftRuleset.Remove(), cancellationToken).ConfigureAwait(false);
                LogStrayRemoved(logger);
            }
        }
        catch (IsolationException e)
        {
            // Without nft there is no table to remove either.
            LogStrayCheckFailed(logger, e.Message);
        }
    }

    /// <summary>
    /// Applies <paramref name="plan"/> and checks the node answers through it; when it does not (or the check is
    /// cancelled) the ruleset in force before is put back, and the answer is false (or the cancellation thrown).
    /// </summary>
    private async Task<bool> ApplyVerifiedAsync(IsolationPlan plan, CancellationToken cancellationToken)
    {
        await nft.ApplyAsync(NftRuleset.Apply(plan), cancellationToken).ConfigureAwait(false);
        bool answered;
        try
        {
            answered = await NodeAnswersAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Cancelled while verifying: nothing of this ruleset may stay.
            await RollBackAsync().ConfigureAwait(false);
            throw;
        }
        if (!answered)
        {
            await RollBackAsync().ConfigureAwait(false);
        }
        return answered;
    }

    /// <summary>True when the node answers a real request within the verification time.</summary>
    private async Task<bool> NodeAnswersAsync(CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + verifyTime;
        while (true)
        {
            var remaining = deadline - time.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                return false;
            }
            try
            {
                await probeNode(remaining < TimeSpan.FromSeconds(5) ? remaining : TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LogProbeFailed(logger, e.Message);
            }
            var pause = deadline - time.GetUtcNow();
            if (pause > TimeSpan.Zero)
            {
                await Task.Delay(pause < TimeSpan.FromMilliseconds(250) ? pause : TimeSpan.FromMilliseconds(250), time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Back to the ruleset in force before (or none); never cancelled, it must not be left half done.</summary>
    private async Task RollBackAsync()
    {
        try
        {
            await nft.ApplyAsync(_plan is { } previous && _settings.Active ? NftRuleset.Apply(previous) : NftRuleset.Remove(), CancellationToken.None).ConfigureAwait(false);
        }
        catch (IsolationException e)
        {
            State = IsolationState.Failed;
            throw new IsolationException($"rolling back failed: {e.Message}", e);
        }
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "Isolated by task {TaskId}: {Nodes} node endpoints and {Exclusions} exclusions reachable, release at {ReleaseAtUs} (0: on release)")]
    private static partial void LogIsolated(ILogger logger, string taskId, int nodes, int exclusions, long releaseAtUs);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Isolation released: {Why}")]
    private static partial void LogReleased(ILogger logger, string why);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Error, Message = "Isolation of task {TaskId} rolled back: the node could not be reached through it")]
    private static partial void LogRolledBack(ILogger logger, string taskId);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "Isolation of task {TaskId} applied again at start (release at {ReleaseAtUs})")]
    private static partial void LogRestored(ILogger logger, string taskId, long releaseAtUs);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Error, Message = "Isolation could not be restored: {Reason}")]
    private static partial void LogRestoreFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Error, Message = "Isolation could not be released: {Reason}")]
    private static partial void LogReleaseFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Warning, Message = "Removed an isolation table no stored isolation accounts for")]
    private static partial void LogStrayRemoved(ILogger logger);

    [LoggerMessage(EventId = 5009, Level = LogLevel.Debug, Message = "No check for a stray isolation table: {Reason}")]
    private static partial void LogStrayCheckFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Warning, Message = "Isolation ruleset updated: the node names now resolve to {Now} (were {Before})")]
    private static partial void LogNodeMoved(ILogger logger, string before, string now);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Warning, Message = "The node names resolve to {Now}, but the node did not answer there; the ruleset in force stays")]
    private static partial void LogMovedNodeNotReached(ILogger logger, string now);

    [LoggerMessage(EventId = 5012, Level = LogLevel.Debug, Message = "Node names not resolved again while isolated: {Reason}")]
    private static partial void LogResolveFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Debug, Message = "The node did not answer through the new ruleset: {Reason}")]
    private static partial void LogProbeFailed(ILogger logger, string reason);
}
