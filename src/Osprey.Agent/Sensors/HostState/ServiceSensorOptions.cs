namespace Osprey.Agent.Sensors.HostState;

/// <summary>Where the service sensor finds systemd service units and their enablement links.</summary>
public sealed record ServiceSensorOptions
{
    /// <summary>System unit directories, highest priority first.</summary>
    public IReadOnlyList<string> UnitDirectories { get; init; } = ["/etc/systemd/system", "/run/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"];

    /// <summary>Where enabling a unit links it (*.wants, *.requires) or masking it links it to /dev/null.</summary>
    public IReadOnlyList<string> EnablementDirectories { get; init; } = ["/etc/systemd/system", "/run/systemd/system"];

    public string PasswdPath { get; init; } = "/etc/passwd";
}
