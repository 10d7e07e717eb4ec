using System.Collections.Concurrent;

namespace Osprey.Agent.Sensors.Processes;

/// <summary>
/// Replaces the values of environment variables whose names match the configured patterns. The answer is kept per
/// variable name (bounded), since every exec repeats the same names: the pattern runs once per new name, not once
/// per variable of every process. Safe for concurrent use.
/// </summary>
internal sealed class EnvironmentRedaction(IReadOnlyList<string> patterns)
{
    public const string Redacted = "[redacted]";
    private const int MaxNames = 4096;
    private readonly System.Text.RegularExpressions.Regex? _pattern = Globs.ToRegex(patterns);
    private readonly ConcurrentDictionary<string, bool> _names = new(StringComparer.Ordinal);

    /// <summary>The environment with redacted values; the same list when nothing is redacted.</summary>
    public IReadOnlyList<string> Apply(IReadOnlyList<string> environment)
    {
        if (_pattern is null)
        {
            return environment;
        }
        List<string>? result = null;
        for (var i = 0; i < environment.Count; i++)
        {
            var entry = environment[i];
            var equals = entry.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? entry.AsSpan() : entry.AsSpan(0, equals);
            if (IsRedacted(name))
            {
                result ??= [.. environment.Take(i)];
                result.Add($"{name}={Redacted}");
            }
            else
            {
                result?.Add(entry);
            }
        }
        return result ?? environment;
    }

    /// <summary>Whether the value of the variable named <paramref name="name"/> is redacted.</summary>
    public bool IsRedacted(ReadOnlySpan<char> name)
    {
        if (_pattern is null)
        {
            return false;
        }
        var names = _names.GetAlternateLookup<ReadOnlySpan<char>>();
        if (names.TryGetValue(name, out var redacted))
        {
            return redacted;
        }
        redacted = _pattern.IsMatch(name);
        if (_names.Count >= MaxNames)
        {
            _names.Clear();
        }
        names.TryAdd(name, redacted);
        return redacted;
    }
}
