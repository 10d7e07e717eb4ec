using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Osprey.Agent.Configuration;
using Osprey.Testing.Paths;
using Osprey.Testing.Processes;

namespace Osprey.Bench;

/// <summary>
/// A real osprey-agent for benchmarks: enrolled with given settings and run at its default log level (Information),
/// as deployed, so its CPU figures carry no debug logging; the process ID is known for /proc measurements.
/// </summary>
public sealed class BenchAgent : IAsyncDisposable
{
    private readonly TempDirectory _state = new("osprey-bench-agent");
    private readonly StringBuilder _log = new();
    private Process? _process;

    private BenchAgent()
    {
    }

    public string StateDir => _state.Path;

    public string AgentId { get; private set; } = "";

    public int Pid => _process?.Id ?? throw new InvalidOperationException("the agent is not running");

    public bool HasExited => _process?.HasExited ?? true;

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Enrolls a new agent with <paramref name="settingsJson"/> (agent.json keys) and starts it.</summary>
    public static async Task<BenchAgent> StartAsync(NodeProcess node, string token, string settingsJson, CancellationToken cancellationToken)
    {
        var agent = new BenchAgent();
        var settings = Path.Combine(agent.StateDir, "enroll-settings.json");
        await File.WriteAllTextAsync(settings, settingsJson, cancellationToken);
        var enroll = await CommandRunner.RunAsync(AgentProcess.AgentExecutable,
            ["enroll", "--server", node.Url.ToString(), "--token", token, "--pin", node.Pin, "--state", agent.StateDir, "--settings", settings],
            cancellationToken: cancellationToken);
        if (enroll.ExitCode != 0)
        {
            await agent.DisposeAsync();
            throw new InvalidOperationException($"osprey-agent enroll failed: {enroll}");
        }
        agent.AgentId = enroll.Stdout.Trim();
        agent._process = new Process { StartInfo = CommandRunner.Start(AgentProcess.AgentExecutable, ["run", "--state", agent.StateDir], null) };
        agent._process.OutputDataReceived += (_, e) => agent.Append(e.Data);
        agent._process.ErrorDataReceived += (_, e) => agent.Append(e.Data);
        agent._process.Start();
        agent._process.BeginOutputReadLine();
        agent._process.BeginErrorReadLine();
        return agent;
    }

    /// <summary>
    /// The status the agent writes every two seconds (what <c>osprey-agent status --json</c> shows), read from the file:
    /// running the status command would start processes the agent then records, so polling would feed the measurement.
    /// </summary>
    public JsonElement? Status()
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(new StatePaths(StateDir).Status)).RootElement.Clone();
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
    }

    /// <summary>Polls the status until <paramref name="condition"/> holds.</summary>
    public async Task<JsonElement> WaitForStatusAsync(Func<JsonElement, bool> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        JsonElement? last = null;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (HasExited)
            {
                throw new InvalidOperationException($"osprey-agent exited with {_process!.ExitCode}:\n{Log}");
            }
            last = Status();
            if (last is { } status && condition(status))
            {
                return status;
            }
            await Task.Delay(250, cancellationToken);
        }
        throw new TimeoutException($"agent status never matched; last: {last}\nlog:\n{Log}");
    }

    /// <summary>Waits until the agent is connected and no sensor is still starting.</summary>
    public Task<JsonElement> WaitUntilReadyAsync(CancellationToken cancellationToken) =>
        WaitForStatusAsync(s => s.GetProperty("connectionState").GetString() == "connected"
            && s.GetProperty("sensors").EnumerateArray().All(x => x.GetProperty("state").GetString() != "Starting"),
            TimeSpan.FromSeconds(60), cancellationToken);

    /// <summary>
    /// Waits until the node has acknowledged every event the agent stored and no new one was stored for
    /// <paramref name="quiet"/> (events still in a sensor's hands, such as a file create held for its hash, are stored by then).
    /// </summary>
    public Task<JsonElement> WaitUntilDeliveredAsync(TimeSpan quiet, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ulong previous = ulong.MaxValue;
        var since = Stopwatch.GetTimestamp();
        return WaitForStatusAsync(s =>
        {
            var last = s.GetProperty("lastSequence").GetUInt64();
            if (last != previous)
            {
                (previous, since) = (last, Stopwatch.GetTimestamp());
            }
            return s.GetProperty("ackedSequence").GetUInt64() == last && Stopwatch.GetElapsedTime(since) >= quiet;
        }, timeout, cancellationToken);
    }

    /// <summary>SIGTERM and wait (30 s, then SIGKILL); returns the exit code.</summary>
    public async Task<int> StopAsync()
    {
        if (_process is null)
        {
            return 0;
        }
        if (!_process.HasExited)
        {
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }
        }
        return _process.ExitCode;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
        _state.Dispose();
    }
}
