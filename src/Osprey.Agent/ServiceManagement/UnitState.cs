namespace Osprey.Agent.ServiceManagement;

/// <summary>What <c>systemctl show</c> says about a unit: LoadState, ActiveState, SubState and UnitFileState.</summary>
internal sealed record UnitState(string LoadState, string ActiveState, string SubState, string UnitFileState)
{
    public bool Exists => LoadState is not ("not-found" or "");

    /// <summary>
    /// The start type in Osprey's words: "automatic" (enabled), "disabled" (masked: it cannot be started), "manual"
    /// (anything else that can be started by hand: disabled, static, indirect, generated, …), or the unit file state as is.
    /// </summary>
    public string StartType => UnitFileState switch
    {
        "enabled" or "enabled-runtime" or "alias" => "automatic",
        "masked" or "masked-runtime" => "disabled",
        "disabled" or "static" or "indirect" or "generated" or "transient" or "linked" or "linked-runtime" => "manual",
        _ when LoadState == "masked" => "disabled",
        "" => "manual",
        var other => other,
    };

    /// <summary>Parses <c>systemctl show --property=…</c> output (NAME=value lines).</summary>
    public static UnitState Parse(string output)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n'))
        {
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                values[line[..equals]] = line[(equals + 1)..].Trim();
            }
        }
        return new UnitState(Value("LoadState"), Value("ActiveState"), Value("SubState"), Value("UnitFileState"));

        string Value(string name) => values.GetValueOrDefault(name, "");
    }
}
