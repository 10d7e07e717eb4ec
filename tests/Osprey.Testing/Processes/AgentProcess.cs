using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Osprey.Testing.Paths;

namespace Osprey.Testing.Processes;

/// <summary>
/// A real osprey-agent process with its own state directory: enroll, run, SIGKILL, SIGTERM, status. Given a network
/// namespace, it runs inside it (<c>ip netns exec</c>); every agent a test starts may change the firewall only inside the
/// namespace it was given, and none at all without one (the agent's OSPREY_AGENT_ISOLATION_NETNS guard).
/// </summary>
public sealed class AgentProcess(string? networkNamespace = null) : IAsyncDisposable
{
    private const string NoNamespace = "osprey-test-no-isolation";

    private readonly TempDirectory _state = new("osprey-e2e-agent");
    private readonly StringBuilder _log = new();
    private Process? _process;

    public string StateDir => _state.Path;

    public static string AgentExecutable => RepositoryPaths.Executable("Osprey.Agent", "osprey-agent");

    public string? AgentId { get; private set; }

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

    /// <summary>
    /// Runs <c>osprey-agent enroll</c>; <paramref name="settingsJson"/> (optional) carries further settings,
    /// <paramref name="options"/> further command-line options (<c>--proxy</c>…).
    /// </summary>
    public async Task<ProcessResult> EnrollAsync(string servers, string token, string pin, string? settingsJson = null, CancellationToken cancellationToken = default, params IEnumerable<string> options)
    {
        List<string> arguments = ["enroll", "--server", servers, "--token", token, "--pin", pin, "--state", StateDir, .. options];
        if (settingsJson is not null)
        {
            var file = Path.Combine(StateDir, "enroll-settings.json");
            await File.WriteAllTextAsync(file, settingsJson, cancellationToken).ConfigureAwait(false);
            arguments.AddRange(["--settings", file]);
        }
        var result = await CommandRunner.RunAsync(AgentExecutable, arguments, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (result.ExitCode == 0)
        {
            AgentId = result.Stdout.Trim();
        }
        return result;
    }

    /// <summary>Edits agent.json (as an operator would) before the next start.</summary>
    public async Task EditSettingsAsync(Action<System.Text.Json.Nodes.JsonObject> edit, CancellationToken cancellationToken)
    {
        var path = Path.Combine(StateDir, "agent.json");
        var json = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false))!.AsObject();
        edit(json);
        await File.WriteAllTextAsync(path, json.ToJsonString(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs the agent; tests log at Debug, benchmarks at the deployed level (Information).</summary>
    public void Start(string logLevel = "Debug")
    {
        var environment = new Dictionary<string, string>
        {
            ["OSPREY_AGENT_LOG"] = logLevel,
            ["OSPREY_AGENT_ISOLATION_NETNS"] = networkNamespace ?? NoNamespace,
        };
        _process = new Process
        {
            StartInfo = networkNamespace is null
                ? CommandRunner.Start(AgentExecutable, ["run", "--state", StateDir], environment)
                : CommandRunner.Start("ip", ["netns", "exec", networkNamespace, AgentExecutable, "run", "--state", StateDir], environment),
        };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public bool HasExited => _process?.HasExited ?? true;

    public int Pid => _process?.Id ?? throw new InvalidOperationException("the agent is not running");

    public int ExitCode => _process!.ExitCode;

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit();
        }
    }

    /// <summary>SIGTERM and wait for the exit code.</summary>
    public async Task<int> StopAsync()
    {
        if (_process is null)
        {
            return 0;
        }
        if (!_process.HasExited)
        {
            using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync().ConfigureAwait(false);
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _process.Kill();
                throw new TimeoutException($"osprey-agent did not stop within 30 s: {Log}");
            }
        }
        return _process.ExitCode;
    }

    /// <summary>The parsed output of <c>osprey-agent status --json</c>.</summary>
    public async Task<JsonElement> StatusAsync(CancellationToken cancellationToken)
    {
        var result = await CommandRunner.RunAsync(AgentExecutable, ["status", "--json", "--state", StateDir], cancellationToken: cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"osprey-agent status failed: {result}");
        }
        return JsonDocument.Parse(result.Stdout).RootElement.Clone();
    }

    /// <summary>
    /// The status file the agent writes every two seconds (what <c>status --json</c> prints), read directly: for
    /// measurements, where running the status command would start processes the agent then records. Null while
    /// there is none or it is being replaced.
    /// </summary>
    public JsonElement? ReadStatusFile()
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(Path.Combine(StateDir, "status.json"))).RootElement.Clone();
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Polls status until <paramref name="condition"/> holds; fails with the last status and the log. While the agent
    /// runs, a status file still left by an earlier process (killed before it wrote a new one) is not considered.
    /// </summary>
    public async Task<JsonElement> WaitForStatusAsync(Func<JsonElement, bool> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonElement last = default;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                last = await StatusAsync(cancellationToken).ConfigureAwait(false);
                var current = _process is not { HasExited: false } || last.GetProperty("pid").GetInt32() == _process.Id;
                if (current && condition(last))
                {
                    return last;
                }
            }
            catch (InvalidOperationException)
            {
            }
            await Task.Delay(250, cancellationToken).ConfigureAwait(false);
        }
        throw new TimeoutException($"agent status never matched; last: {last}\nlog:\n{Log}");
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
        if (_process is { HasExited: false })
        {
            try
            {
                await StopAsync().ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
        }
        _process?.Dispose();
        _state.Dispose();
    }
}
