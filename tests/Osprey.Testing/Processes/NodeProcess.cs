using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Osprey.Contracts.Security;
using Osprey.Testing.Paths;
using Osprey.Testing.Simulator;

namespace Osprey.Testing.Processes;

/// <summary>A real osprey-node process: init once, then run, kill -9 and restart on the same data directory.</summary>
public sealed partial class NodeProcess : IAsyncDisposable
{
    private readonly TempDirectory _dir;
    private readonly StringBuilder _log = new();
    private Process? _process;

    private NodeProcess(TempDirectory dir, Uri url, string pin, string adminToken)
    {
        _dir = dir;
        Url = url;
        Pin = pin;
        AdminToken = adminToken;
    }

    public Uri Url { get; }

    public string Pin { get; }

    public string AdminToken { get; }

    public string DataDir => _dir.Path;

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

    public static string NodeExecutable => RepositoryPaths.Executable("Osprey.Node", "osprey-node");

    public static Task<NodeProcess> InitAsync(CancellationToken cancellationToken) => InitAsync("127.0.0.1", cancellationToken);

    /// <summary>A node listening on <paramref name="listenAddress"/> (for example the machine side of a test network).</summary>
    public static async Task<NodeProcess> InitAsync(string listenAddress, CancellationToken cancellationToken)
    {
        var dir = new TempDirectory("osprey-e2e-node");
        var listen = string.Create(CultureInfo.InvariantCulture, $"{listenAddress}:{FreePort.Next()}");
        var init = await CommandRunner.RunAsync(NodeExecutable, ["init", "--data", dir.Path, "--listen", listen], cancellationToken: cancellationToken).ConfigureAwait(false);
        if (init.ExitCode != 0)
        {
            throw new InvalidOperationException($"osprey-node init failed: {init}");
        }
        var pin = PinLine().Match(init.Stdout).Groups[1].Value;
        var token = TokenLine().Match(init.Stdout).Groups[1].Value;
        if (pin.Length == 0 || token.Length == 0)
        {
            throw new InvalidOperationException($"osprey-node init printed no pin or token: {init}");
        }
        return new NodeProcess(dir, new Uri($"https://{listen}"), pin, token);
    }

    /// <summary>Starts the node and waits until it answers on /health.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _process = new Process { StartInfo = CommandRunner.Start(NodeExecutable, ["run", "--data", DataDir], null) };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        using var client = SimulatedAgent.CreateClient(Url, new PinnedServerValidator(Pin), null);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"osprey-node exited with {_process.ExitCode}: {Log}");
            }
            try
            {
                using var response = await client.GetAsync(new Uri("/health", UriKind.Relative), cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
        throw new TimeoutException($"osprey-node did not answer within 60 s: {Log}");
    }

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit();
        }
    }

    public async Task StopAsync()
    {
        if (_process is { HasExited: false })
        {
            // SIGTERM for an orderly stop.
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
            }
        }
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
        await StopAsync().ConfigureAwait(false);
        _process?.Dispose();
        _dir.Dispose();
    }

    [GeneratedRegex(@"^pin: ([0-9a-f]{64})$", RegexOptions.Multiline)]
    private static partial Regex PinLine();

    [GeneratedRegex(@"^admin token: (\S+)$", RegexOptions.Multiline)]
    private static partial Regex TokenLine();
}
