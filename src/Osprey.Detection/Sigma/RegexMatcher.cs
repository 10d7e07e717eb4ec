using System.Text.RegularExpressions;

namespace Osprey.Detection.Sigma;

/// <summary>
/// The field contains a match of a regular expression (search, not full match), run by .NET's non-backtracking
/// engine so a hostile pattern costs time linear in the value.
/// </summary>
internal sealed class RegexMatcher(Regex regex) : SigmaMatcher
{
    public override int Cost => 16;

    public Regex Regex => regex;

    public override bool Matches(ReadOnlySpan<char> value) => regex.IsMatch(value);

    /// <summary>Compiles <paramref name="source"/>; an unparsable pattern is Invalid, one outside linear-time matching Unsupported.</summary>
    public static RegexMatcher Create(string source, RegexOptions options, string key, int line)
    {
        if (source.Length > SigmaLimits.MaxValueLength)
        {
            throw SigmaRuleException.Invalid($"'{key}': regular expression longer than {SigmaLimits.MaxValueLength} characters", line);
        }

        try
        {
            return new RegexMatcher(new Regex(source, options | RegexOptions.NonBacktracking | RegexOptions.CultureInvariant));
        }
        catch (NotSupportedException e)
        {
            throw SigmaRuleException.Unsupported($"'{key}': regular expression '{source}' needs backtracking (backreference, lookaround, atomic group or similar), outside the Sigma regex flavour: {e.Message}", line);
        }
        catch (ArgumentException e)
        {
            throw SigmaRuleException.Invalid($"'{key}': bad regular expression '{source}': {e.Message}", line);
        }
    }
}
