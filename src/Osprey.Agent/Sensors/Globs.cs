using System.Text;
using System.Text.RegularExpressions;

namespace Osprey.Agent.Sensors;

/// <summary>Shell-style patterns (* and ?) as one case-insensitive regular expression, matched in linear time.</summary>
public static class Globs
{
    public static Regex? ToRegex(IReadOnlyList<string> patterns)
    {
        if (patterns.Count == 0)
        {
            return null;
        }
        var builder = new StringBuilder("^(?:");
        for (var i = 0; i < patterns.Count; i++)
        {
            if (i > 0)
            {
                builder.Append('|');
            }
            foreach (var c in patterns[i])
            {
                builder.Append(c switch
                {
                    '*' => ".*",
                    '?' => ".",
                    _ => Regex.Escape(c.ToString()),
                });
            }
        }
        builder.Append(")$");
        // Linear-time matching, so no timeout is needed: a timeout fires on a thread that was merely preempted (an exec
        // storm on a busy host), and its exception stopped the process sensor's enrichment thread.
        return new Regex(builder.ToString(), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, Regex.InfiniteMatchTimeout);
    }
}
