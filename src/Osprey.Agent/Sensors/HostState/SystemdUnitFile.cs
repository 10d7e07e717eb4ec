namespace Osprey.Agent.Sensors.HostState;

/// <summary>
/// A systemd unit file read as systemd.syntax(7) describes: [Section] headers, Key=Value lines, "#" and ";"
/// comments, a trailing backslash continuing a line; a key may repeat. Drop-in directories are not merged.
/// </summary>
public sealed class SystemdUnitFile
{
    /// <summary>Largest unit file read; systemd itself refuses lines over 1 MiB.</summary>
    public const int MaxBytes = 1 << 20;

    private readonly List<(string Section, string Key, string Value)> _entries = [];

    private SystemdUnitFile()
    {
    }

    public static SystemdUnitFile Parse(string text)
    {
        var unit = new SystemdUnitFile();
        var section = "";
        var pending = "";
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r').Trim();
            if (pending.Length == 0 && (line.Length == 0 || line[0] is '#' or ';'))
            {
                continue;
            }
            if (pending.Length > 0 && line.Length > 0 && line[0] is '#' or ';')
            {
                // Comment lines inside a continued value are skipped, not joined.
                continue;
            }
            if (line.EndsWith('\\'))
            {
                pending += line[..^1] + " ";
                continue;
            }
            line = pending + line;
            pending = "";
            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                section = line[1..^1].Trim();
                continue;
            }
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                unit._entries.Add((section, line[..equals].Trim(), line[(equals + 1)..].Trim()));
            }
        }
        return unit;
    }

    public bool HasSection(string section) => _entries.Any(e => e.Section == section);

    /// <summary>Every value of a key in order; an empty assignment clears the ones before it, as for list settings.</summary>
    public List<string> Values(string section, string key)
    {
        var values = new List<string>();
        foreach (var (s, k, v) in _entries)
        {
            if (s == section && k == key)
            {
                if (v.Length == 0)
                {
                    values.Clear();
                }
                else
                {
                    values.Add(v);
                }
            }
        }
        return values;
    }

    /// <summary>The value that wins for a single-valued key: the last one.</summary>
    public string Last(string section, string key) =>
        _entries.LastOrDefault(e => e.Section == section && e.Key == key).Value ?? "";

    /// <summary>Space-separated list settings (Wants=, After=) split and de-duplicated in order.</summary>
    public List<string> Words(string section, params string[] keys)
    {
        var words = new List<string>();
        foreach (var (s, k, v) in _entries)
        {
            if (s == section && keys.Contains(k))
            {
                foreach (var word in v.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
                {
                    if (!words.Contains(word))
                    {
                        words.Add(word);
                    }
                }
            }
        }
        return words;
    }

    /// <summary>
    /// An Exec*= value as the command it runs: the prefixes "-@:+!" removed, and with "@" the second word (the
    /// argv[0] given to the program) dropped.
    /// </summary>
    public static string Command(string value)
    {
        var i = 0;
        var replacesArgv0 = false;
        while (i < value.Length && value[i] is '-' or '@' or ':' or '+' or '!')
        {
            replacesArgv0 |= value[i] == '@';
            i++;
        }
        var command = CollapseSpaces(value[i..].Trim());
        if (!replacesArgv0)
        {
            return command;
        }
        var words = command.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        return words.Length switch
        {
            <= 2 => words.Length == 0 ? "" : words[0],
            _ => $"{words[0]} {words[2]}",
        };
    }

    /// <summary>Runs of blanks outside quotes become one space (systemd splits the command into words there anyway).</summary>
    private static string CollapseSpaces(string command)
    {
        var builder = new System.Text.StringBuilder(command.Length);
        var quote = '\0';
        foreach (var c in command)
        {
            if (quote == '\0' && c is ' ' or '\t')
            {
                if (builder.Length > 0 && builder[^1] != ' ')
                {
                    builder.Append(' ');
                }
                continue;
            }
            if (c is '"' or '\'')
            {
                quote = quote == '\0' ? c : quote == c ? '\0' : quote;
            }
            builder.Append(c);
        }
        return builder.ToString();
    }
}
