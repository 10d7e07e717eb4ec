using System.Diagnostics;

namespace Osprey.Agent.ServiceManagement;

/// <summary>
/// The host's systemd, through <c>systemctl</c>: unit state, start, stop, restart, enable, disable, mask and unmask.
/// systemd counts as running when <c>/run/systemd/system</c> is a directory (what sd_booted(3) checks).
/// </summary>
internal sealed class Systemd(string runtimeDirectory = "/run/systemd/system", string? systemctl = null)
{
    private const int MaxUnitNameLength = 255;
    private static readonly string[] Candidates = ["/usr/bin/systemctl", "/bin/systemctl"];
    private static readonly string[] UnitSuffixes = [".service", ".socket", ".timer", ".path"];
    private static readonly string[] OtherUnitTypes = [".target", ".mount", ".automount", ".swap", ".device", ".slice", ".scope"];

    /// <summary>The systemctl to run; throws <see cref="ServiceManagerException"/> when this host has no running systemd.</summary>
    public string RequireSystemctl()
    {
        if (!Directory.Exists(runtimeDirectory))
        {
            throw new ServiceManagerException(95, $"no service manager on this host: systemd is not running ({runtimeDirectory} does not exist)"); // EOPNOTSUPP
        }
        return systemctl ?? Candidates.FirstOrDefault(File.Exists)
            ?? throw new ServiceManagerException(95, $"no service manager on this host: systemd runs but systemctl is not at {string.Join(" or ", Candidates)}");
    }

    /// <summary>
    /// The unit name systemctl is given, or null when <paramref name="name"/> is not one: systemd's unit-name characters
    /// only, not starting with '-' or '.', a service, socket, timer or path unit (".service" is added otherwise, as
    /// systemctl does); mounts, targets and the other unit types are not managed here.
    /// </summary>
    public static string? UnitName(string name)
    {
        if (name.Length is 0 or > MaxUnitNameLength || name[0] is '-' or '.'
            || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is ':' or '_' or '.' or '\\' or '@' or '-'))
        {
            return null;
        }
        if (UnitSuffixes.FirstOrDefault(s => name.EndsWith(s, StringComparison.Ordinal)) is { } suffix)
        {
            return name.Length > suffix.Length ? name : null;
        }
        if (OtherUnitTypes.Any(s => name.EndsWith(s, StringComparison.Ordinal)))
        {
            return null;
        }
        return name.Length + ".service".Length <= MaxUnitNameLength ? name + ".service" : null;
    }

    public async Task<UnitState> ShowAsync(string unit, CancellationToken cancellationToken)
    {
        var output = await RunAsync(["show", "--no-pager", "--property=LoadState,ActiveState,SubState,UnitFileState", "--", unit], cancellationToken).ConfigureAwait(false);
        return UnitState.Parse(output);
    }

    /// <summary>Runs <c>systemctl VERB -- UNIT</c> and waits for the job to finish; throws with systemctl's message when it fails.</summary>
    public Task RunVerbAsync(string verb, string unit, CancellationToken cancellationToken) =>
        RunAsync(["--no-ask-password", verb, "--", unit], cancellationToken);

    private async Task<string> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(RequireSystemctl())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["SYSTEMD_PAGER"] = "";
        start.Environment["LC_ALL"] = "C";
        using var process = Process.Start(start) ?? throw new ServiceManagerException(5, "systemctl could not be started");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw;
        }
        var output = await stdout.ConfigureAwait(false);
        var error = (await stderr.ConfigureAwait(false)).Trim();
        if (process.ExitCode != 0)
        {
            throw new ServiceManagerException(process.ExitCode, $"systemctl {string.Join(' ', arguments)} failed (exit {process.ExitCode}){(error.Length > 0 ? ": " + error : "")}");
        }
        return output;
    }
}
