using System.Text.RegularExpressions;

namespace Osprey.Detection.OpenIoc;

/// <summary>
/// matches: a search (not a full match) for the regular expression. .NET's non-backtracking engine runs it when it can,
/// so a hostile pattern is linear in the value; a pattern that needs backtracking (backreference, lookaround) runs
/// with a timeout per value, and a value that times out does not match (and is counted).
/// </summary>
internal sealed class RegexTest(Regex regex) : IocValueTest
{
    private long _timeouts;

    public override int Cost => 16;

    /// <summary>Values on which the expression ran out of time, so far.</summary>
    public long Timeouts => Interlocked.Read(ref _timeouts);

    public override bool Test(string value)
    {
        try
        {
            return regex.IsMatch(value);
        }
        catch (RegexMatchTimeoutException)
        {
            Interlocked.Increment(ref _timeouts);
            return false;
        }
    }

    /// <summary>Compiles the pattern; null with the parser's message when it is not a valid expression.</summary>
    public static RegexTest? Create(string pattern, bool preserveCase, out string? error)
    {
        error = null;
        pattern = FromPcre(pattern);
        var options = RegexOptions.CultureInvariant | (preserveCase ? RegexOptions.None : RegexOptions.IgnoreCase);
        try
        {
            return new RegexTest(new Regex(pattern, options | RegexOptions.NonBacktracking));
        }
        catch (NotSupportedException)
        {
            // Backreferences, lookarounds and the like: the backtracking engine, bounded in time.
        }
        catch (ArgumentException e)
        {
            error = e.Message;
            return null;
        }
        return new RegexTest(new Regex(pattern, options, IocLimits.RegexTimeout));
    }

    /// <summary>
    /// OpenIOC expressions are written for PCRE, where a backslash before any character that is not a letter or digit
    /// makes it literal; .NET refuses <c>\_</c>, so it becomes <c>_</c>.
    /// </summary>
    internal static string FromPcre(string pattern)
    {
        if (!pattern.Contains("\\_", StringComparison.Ordinal))
        {
            return pattern;
        }
        var result = new System.Text.StringBuilder(pattern.Length);
        for (var i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] == '\\' && i + 1 < pattern.Length)
            {
                if (pattern[i + 1] != '_')
                {
                    result.Append('\\');
                }
                result.Append(pattern[++i]);
                continue;
            }
            result.Append(pattern[i]);
        }
        return result.ToString();
    }
}
