using System.Diagnostics;

namespace Osprey.Agent.Tests.Sensors.Files;

/// <summary>
/// A <c>sh -c</c> that runs a script and then waits on its standard input, so the process is still alive (and its
/// /proc entry readable) when the sensor attributes its file changes to it. It exits when disposed.
/// </summary>
internal sealed class LingeringShell : IAsyncDisposable
{
    private readonly Process _process;

    private LingeringShell(Process process)
    {
        _process = process;
    }

    public int Pid => _process.Id;

    public static LingeringShell Start(string script, params string[] arguments)
    {
        var info = new ProcessStartInfo("/bin/sh") { RedirectStandardInput = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script + "\nread _ || true");
        info.ArgumentList.Add("sh");
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        return new LingeringShell(Process.Start(info)!);
    }

    public async ValueTask DisposeAsync()
    {
        _process.StandardInput.Close();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
        }
        _process.Dispose();
    }
}
