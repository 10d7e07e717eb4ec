using System.Text;
using System.Text.RegularExpressions;

namespace Osprey.Agent.Sensors;

/// <summary>Shell-style patterns (* and ?) as one case-insensitive regular expression.</summary>
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
        return new Regex(builder.ToString(), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromMilliseconds(100));
    }
}
