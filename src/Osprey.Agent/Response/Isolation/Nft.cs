using System.Diagnostics;

namespace Osprey.Agent.Response.Isolation;

/// <summary>Runs the nft command-line tool (Debian package nftables) with a script on its standard input.</summary>
internal sealed class Nft(string executable)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    /// <summary>nft from /usr/sbin or /sbin, else whatever PATH finds.</summary>
    public static Nft FromSystem() => new(new[] { "/usr/sbin/nft", "/sbin/nft" }.FirstOrDefault(File.Exists) ?? "nft");

    /// <summary>Applies <paramref name="script"/> as one transaction (<c>nft -f -</c>); throws with nft's own message when it refuses.</summary>
    public async Task ApplyAsync(string script, CancellationToken cancellationToken)
    {
        var (exitCode, _, error) = await RunAsync(["-f", "-"], script, cancellationToken).ConfigureAwait(false);
        if (exitCode != 0)
        {
            throw new IsolationException($"nft refused the ruleset (exit code {exitCode}): {error.Trim()}");
        }
    }

    /// <summary>The listing of one table (<c>nft list table</c>), or null when it does not exist.</summary>
    public async Task<string?> ListTableAsync(string family, string table, CancellationToken cancellationToken)
    {
        var (exitCode, output, _) = await RunAsync(["list", "table", family, table], null, cancellationToken).ConfigureAwait(false);
        return exitCode == 0 ? output : null;
    }

    private async Task<(int ExitCode, string Output, string Error)> RunAsync(string[] arguments, string? input, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new IsolationException($"{executable} could not be started");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new IsolationException($"{executable} could not be started ({e.Message}); isolation needs nftables (apt-get install nftables)", e);
        }
        using (process)
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(Limit);
            var output = process.StandardOutput.ReadToEndAsync(limit.Token);
            var error = process.StandardError.ReadToEndAsync(limit.Token);
            try
            {
                if (input is not null)
                {
                    await process.StandardInput.WriteAsync(input.AsMemory(), limit.Token).ConfigureAwait(false);
                }
                process.StandardInput.Close();
                await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
                return (process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
            }
            catch (OperationCanceledException)
            {
                process.Kill();
                if (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }
                throw new IsolationException($"{executable} did not finish within {Limit.TotalSeconds:0} s");
            }
        }
    }
}
