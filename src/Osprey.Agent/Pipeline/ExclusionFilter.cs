using System.Text.RegularExpressions;
using Osprey.Agent.Configuration;
using Osprey.Agent.Sensors;
using Osprey.Contracts.V1;
using Osprey.Detection.Events;

namespace Osprey.Agent.Pipeline;

/// <summary>Telemetry exclusions: an event whose type and field match a rule is not recorded (text compared case-insensitively).</summary>
public sealed class ExclusionFilter
{
    private readonly List<(string? Type, string Field, Func<string?, bool> Matches)> _rules = [];

    public ExclusionFilter(IEnumerable<ExclusionRule> rules)
    {
        foreach (var rule in rules)
        {
            var value = rule.Value;
            Func<string?, bool> matches = rule.Operator switch
            {
                "equals" => v => string.Equals(v, value, StringComparison.OrdinalIgnoreCase),
                "not-equals" => v => !string.Equals(v, value, StringComparison.OrdinalIgnoreCase),
                "contains" => v => v is not null && v.Contains(value, StringComparison.OrdinalIgnoreCase),
                "starts-with" => v => v is not null && v.StartsWith(value, StringComparison.OrdinalIgnoreCase),
                "ends-with" => v => v is not null && v.EndsWith(value, StringComparison.OrdinalIgnoreCase),
                "matches" => Glob(value),
                _ => throw new ArgumentException($"unknown exclusion operator '{rule.Operator}'", nameof(rules)),
            };
            _rules.Add((rule.EventType == "*" ? null : rule.EventType, rule.Field, matches));
        }
    }

    public int Count => _rules.Count;

    public bool Excludes(Event e)
    {
        if (_rules.Count == 0)
        {
            return false;
        }
        var type = e.Type.ToString();
        foreach (var (ruleType, field, matches) in _rules)
        {
            if ((ruleType is null || string.Equals(ruleType, type, StringComparison.OrdinalIgnoreCase)) && matches(EventFields.Get(e, field)))
            {
                return true;
            }
        }
        return false;
    }

    private static Func<string?, bool> Glob(string pattern)
    {
        var regex = Globs.ToRegex([pattern])!;
        return v => v is not null && regex.IsMatch(v);
    }
}
