using System.Text;
using System.Text.RegularExpressions;

namespace Osprey.Agent.Forensics;

/// <summary>One thing a file starts: the line it is on (1-based; 0 for the file as a whole), the command, the account, whether it is active.</summary>
internal sealed record AutorunCommand(int Line, string Command, string User = "", bool Enabled = true);

/// <summary>
/// Parsers of the files autorun points live in: each takes the text and returns what it starts. Malformed lines are
/// skipped, never an error; commands are cut at <see cref="MaxCommandChars"/>.
/// </summary>
internal static partial class AutorunParsers
{
    public const int MaxCommandChars = 4096;

    /// <summary>
    /// A crontab. The system ones (/etc/crontab, /etc/cron.d) have a user field after the schedule; a user's crontab
    /// runs as <paramref name="owner"/>. Environment assignments and comments are not entries.
    /// </summary>
    public static List<AutorunCommand> Crontab(string text, bool system, string owner)
    {
        var entries = new List<AutorunCommand>();
        foreach (var (number, line) in Lines(text))
        {
            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0 || IsAssignment(line))
            {
                continue;
            }
            var schedule = fields[0].StartsWith('@') ? 1 : 5;
            var skip = schedule + (system ? 1 : 0);
            if (fields.Length <= skip)
            {
                continue;
            }
            entries.Add(new AutorunCommand(number, Cut(RestAfterFields(line, skip)), system ? fields[schedule] : owner));
        }
        return entries;
    }

    /// <summary>/etc/anacrontab: "period delay job-id command".</summary>
    public static List<AutorunCommand> Anacrontab(string text) =>
        [.. Lines(text).Where(l => !IsAssignment(l.Text) && l.Text.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).Length > 3)
            .Select(l => new AutorunCommand(l.Number, Cut(RestAfterFields(l.Text, 3)), "root"))];

    /// <summary>The commands of a systemd unit: its Exec lines ("ExecStart=…") with their line numbers, and the User= it runs as.</summary>
    public static (List<AutorunCommand> Exec, string User, string Triggers, string Unit) SystemdUnit(string text)
    {
        var exec = new List<AutorunCommand>();
        string user = "", unit = "";
        var triggers = new List<string>();
        foreach (var (number, line) in Lines(text))
        {
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                continue;
            }
            var key = line[..equals].Trim();
            var value = line[(equals + 1)..].Trim();
            if (key.StartsWith("Exec", StringComparison.Ordinal) && value.Length > 0)
            {
                // Prefixes "-@:+!" change how the command runs, not what it is.
                exec.Add(new AutorunCommand(number, Cut($"{key}={value.TrimStart('-', '@', ':', '+', '!')}")));
            }
            else if (key == "User")
            {
                user = value;
            }
            else if (key == "Unit")
            {
                unit = value;
            }
            else if (key.StartsWith("On", StringComparison.Ordinal) || key.StartsWith("Listen", StringComparison.Ordinal) || key.StartsWith("Path", StringComparison.Ordinal))
            {
                triggers.Add($"{key}={value}");
            }
        }
        return (exec, user, string.Join("; ", triggers), unit);
    }

    /// <summary>A .desktop file of XDG autostart: Exec=, and whether Hidden=true or X-GNOME-Autostart-enabled=false turn it off.</summary>
    public static AutorunCommand? Desktop(string text, string owner)
    {
        string? exec = null;
        var enabled = true;
        var inEntry = false;
        var execLine = 0;
        foreach (var (number, line) in Lines(text))
        {
            if (line.StartsWith('['))
            {
                inEntry = line == "[Desktop Entry]";
                continue;
            }
            if (!inEntry)
            {
                continue;
            }
            if (line.StartsWith("Exec=", StringComparison.Ordinal))
            {
                (exec, execLine) = (line[5..].Trim(), number);
            }
            else if (line.Replace(" ", "", StringComparison.Ordinal) is "Hidden=true" or "X-GNOME-Autostart-enabled=false")
            {
                enabled = false;
            }
        }
        return exec is null ? null : new AutorunCommand(execLine, Cut(exec), owner, enabled);
    }

    /// <summary>udev rules that run programs: the RUN and PROGRAM assignments of each rule line.</summary>
    public static List<AutorunCommand> UdevRules(string text)
    {
        var entries = new List<AutorunCommand>();
        foreach (var (number, line) in Lines(text))
        {
            var commands = UdevProgram().Matches(line).Select(m => m.Groups["command"].Value).ToList();
            if (commands.Count > 0)
            {
                entries.Add(new AutorunCommand(number, Cut(string.Join("; ", commands)), "root"));
            }
        }
        return entries;
    }

    // RUN+="…", RUN{program}+="…", PROGRAM=="…"
    [GeneratedRegex(@"\b(RUN|PROGRAM)(\{[^}]*\})?\s*(\+=|:=|==|=)\s*""(?<command>[^""]*)""", RegexOptions.CultureInvariant)]
    private static partial Regex UdevProgram();

    /// <summary>authorized_keys: each key line; its command="…" option is what a login with it runs, else the account's shell.</summary>
    public static List<AutorunCommand> AuthorizedKeys(string text, string owner)
    {
        var entries = new List<AutorunCommand>();
        foreach (var (number, line) in Lines(text))
        {
            var forced = ForcedCommand(line);
            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            var typeIndex = Array.FindIndex(fields, f => f.StartsWith("ssh-", StringComparison.Ordinal) || f.StartsWith("ecdsa-", StringComparison.Ordinal) || f.StartsWith("sk-", StringComparison.Ordinal));
            if (typeIndex < 0 && forced is null)
            {
                continue;
            }
            var key = typeIndex < 0 ? "" : string.Join(' ', fields.Skip(typeIndex).Take(1).Concat(fields.Skip(typeIndex + 2)));
            entries.Add(new AutorunCommand(number, Cut(forced ?? $"(login shell) {key}".TrimEnd()), owner));
        }
        return entries;
    }

    /// <summary>Module names of a modules-load.d file or /etc/modules, one per line.</summary>
    public static List<AutorunCommand> ModulesLoad(string text) =>
        [.. Lines(text).Where(l => !l.Text.StartsWith(';')).Select(l => new AutorunCommand(l.Number, Cut("modprobe " + l.Text.Split([' ', '\t'])[0]), "root"))];

    /// <summary>"install MODULE COMMAND" lines of modprobe.d: the command runs instead of loading the module.</summary>
    public static List<AutorunCommand> ModprobeInstall(string text) =>
        [.. Lines(text).Where(l => l.Text.StartsWith("install ", StringComparison.Ordinal) && l.Text.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).Length > 2)
            .Select(l => new AutorunCommand(l.Number, Cut(RestAfterFields(l.Text, 2)), "root"))];

    /// <summary>/etc/ld.so.preload: libraries (separated by white space or ':') loaded into every dynamically linked program.</summary>
    public static List<AutorunCommand> LdPreload(string text) =>
        [.. Lines(text).SelectMany(l => l.Text.Split([' ', '\t', ':'], StringSplitOptions.RemoveEmptyEntries).Select(library => new AutorunCommand(l.Number, Cut(library), "")))];

    /// <summary>
    /// A script run as a whole (rc.local, an at job): its commands without comments and "exit 0", joined with "; ". An
    /// at job first restores the submitter's environment and directory ("cd /x || {" … "}"), then runs the job, in newer
    /// versions inside a here-document: only the job is kept.
    /// </summary>
    public static string ScriptBody(string text, bool atJob)
    {
        var lines = Lines(text).Select(l => l.Text).ToList();
        var from = 0;
        if (atJob)
        {
            var here = lines.FindIndex(l => l.Contains("<< 'marcinDELIMITER", StringComparison.Ordinal));
            var cd = lines.FindIndex(l => l.StartsWith("cd ", StringComparison.Ordinal) && l.EndsWith("|| {", StringComparison.Ordinal));
            var close = cd < 0 ? -1 : lines.FindIndex(cd, l => l == "}");
            from = here >= 0 ? here + 1 : close >= 0 ? close + 1 : 0;
        }
        return Cut(string.Join("; ", lines.Skip(from).Where(l => !l.StartsWith("marcinDELIMITER", StringComparison.Ordinal) && l != "exit 0")));
    }

    /// <summary>Non-empty lines without comments (a '#' first), trimmed, with 1-based numbers.</summary>
    public static IEnumerable<(int Number, string Text)> Lines(string text)
    {
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.Trim();
            if (line.Length > 0 && line[0] != '#')
            {
                yield return (number, line);
            }
        }
    }

    private static string? ForcedCommand(string line)
    {
        var at = line.IndexOf("command=\"", StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }
        var value = new StringBuilder();
        for (var i = at + 9; i < line.Length; i++)
        {
            if (line[i] == '\\' && i + 1 < line.Length && line[i + 1] == '"')
            {
                value.Append('"');
                i++;
            }
            else if (line[i] == '"')
            {
                return value.ToString();
            }
            else
            {
                value.Append(line[i]);
            }
        }
        return null;
    }

    private static bool IsAssignment(string line)
    {
        var equals = line.IndexOf('=', StringComparison.Ordinal);
        var space = line.IndexOfAny([' ', '\t']);
        return equals > 0 && (space < 0 || equals < space);
    }

    // The text after the first n white-space separated fields.
    private static string RestAfterFields(string line, int n)
    {
        var i = 0;
        for (var field = 0; field < n; field++)
        {
            while (i < line.Length && line[i] is ' ' or '\t')
            {
                i++;
            }
            while (i < line.Length && line[i] is not (' ' or '\t'))
            {
                i++;
            }
        }
        return line[i..].Trim();
    }

    private static string Cut(string command) => command.Length <= MaxCommandChars ? command : command[..MaxCommandChars];
}
