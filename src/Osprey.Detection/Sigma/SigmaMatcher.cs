namespace Osprey.Detection.Sigma;

/// <summary>
/// Tests one field's text against the values of a detection item. Values of fields the event has are never empty
/// (an empty protobuf string is an absent field); <see cref="MatchesMissing"/> is the answer for an absent one.
/// </summary>
internal abstract class SigmaMatcher
{
    public abstract bool Matches(ReadOnlySpan<char> value);

    /// <summary>The answer when the event has no value for the field (true for null, '' and neq).</summary>
    public virtual bool MatchesMissing => false;

    /// <summary>Relative cost of one test, so cheap tests run first in AND and OR.</summary>
    public virtual int Cost => 2;

    /// <summary>Literal keys that every matching value's last path segment equals (see <see cref="SigmaPathKeys"/>), or null when there are none.</summary>
    public virtual IReadOnlyCollection<string>? PathKeys => null;

    /// <summary>Texts of which every matching value contains at least one, ignoring case; null when there are none to name.</summary>
    public virtual IReadOnlyCollection<string>? Literals => null;

    protected static StringComparison Comparison(bool cased) => cased ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
}
