using System.Buffers;

namespace Osprey.Detection.Sigma;

/// <summary>
/// Rules keyed by literals one field must contain for them to match. One vectorised multi-string search finds each
/// place where any literal starts; the literals starting with the two characters there are checked, and the rules of
/// the ones present become candidates (each once per event). Literals have at least
/// <see cref="SigmaRequirement.MinimumSubstringLength"/> characters.
/// </summary>
internal sealed class SigmaLiteralIndex
{
    private readonly SearchValues<string> _any;
    private readonly Dictionary<int, (string Literal, SigmaRuleEntry[] Entries)[]> _byPrefix;

    public SigmaLiteralIndex(SigmaField field, Dictionary<string, List<SigmaRuleEntry>> byLiteral)
    {
        Field = field;
        _any = SearchValues.Create([.. byLiteral.Keys], StringComparison.OrdinalIgnoreCase);
        _byPrefix = byLiteral.GroupBy(l => Prefix(l.Key))
            .ToDictionary(g => g.Key, g => g.Select(l => (l.Key, l.Value.ToArray())).OrderByDescending(l => l.Key.Length).ToArray());
    }

    public SigmaField Field { get; }

    /// <summary>Calls <paramref name="candidate"/> for each rule with a literal in <paramref name="value"/>, each rule once.</summary>
    public void Find<TState>(ReadOnlySpan<char> value, SigmaEvaluationContext context, ref TState state, CandidateHandler<TState> candidate)
    {
        var position = 0;
        while (position < value.Length)
        {
            var found = value[position..].IndexOfAny(_any);
            if (found < 0)
            {
                return;
            }

            position += found;
            if (position + 1 < value.Length && _byPrefix.TryGetValue(Prefix(value[position..]), out var literals))
            {
                var rest = value[position..];
                foreach (var (literal, entries) in literals)
                {
                    if (rest.StartsWith(literal, StringComparison.OrdinalIgnoreCase))
                    {
                        foreach (var entry in entries)
                        {
                            if (context.TryMark(entry.Id))
                            {
                                candidate(entry, ref state);
                            }
                        }
                    }
                }
            }

            position++;
        }
    }

    /// <summary>The first two characters, case folded, as one key.</summary>
    private static int Prefix(ReadOnlySpan<char> text) => (char.ToUpperInvariant(text[0]) << 16) | char.ToUpperInvariant(text[1]);

    /// <summary>Receives one candidate rule and the caller's state.</summary>
    public delegate void CandidateHandler<TState>(SigmaRuleEntry entry, ref TState state);
}
