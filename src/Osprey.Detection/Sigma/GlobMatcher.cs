namespace Osprey.Detection.Sigma;

/// <summary>
/// A general wildcard pattern (<c>/home/*/.bashrc</c>, <c>prog?.sh</c>, windash classes). The pieces between
/// <c>*</c> are matched in order at their leftmost position, the first anchored at the start and the last at the
/// end unless a <c>*</c> frees them: linear in the pieces, at most value × pattern in the worst case.
/// </summary>
internal sealed class GlobMatcher : SigmaMatcher
{
    private readonly SigmaPatternPart[][] _pieces;
    private readonly bool _anchoredStart;
    private readonly bool _anchoredEnd;
    private readonly bool _cased;
    private readonly string? _pathKey;

    public GlobMatcher(SigmaPattern pattern, bool cased)
    {
        _cased = cased;
        var parts = pattern.Parts;
        _anchoredStart = parts.Count == 0 || parts[0].Kind != SigmaPatternPartKind.AnyRun;
        _anchoredEnd = parts.Count == 0 || parts[^1].Kind != SigmaPatternPartKind.AnyRun;
        var pieces = new List<SigmaPatternPart[]>();
        var current = new List<SigmaPatternPart>();
        foreach (var part in parts)
        {
            if (part.Kind == SigmaPatternPartKind.AnyRun)
            {
                if (current.Count > 0)
                {
                    pieces.Add([.. current]);
                    current.Clear();
                }

                continue;
            }

            if (part.Kind == SigmaPatternPartKind.Literal)
            {
                current.AddRange(part.Text.Select(c => SigmaPatternPart.Literal(c.ToString())));
            }
            else
            {
                current.Add(part);
            }
        }

        if (current.Count > 0)
        {
            pieces.Add([.. current]);
        }

        _pieces = [.. pieces];
        if (_anchoredEnd && parts.Count > 0 && parts[^1] is { Kind: SigmaPatternPartKind.Literal } last && last.Text.Contains('/', StringComparison.Ordinal))
        {
            _pathKey = SigmaPathKeys.LastSegment(last.Text).ToString();
        }
    }

    public override int Cost => 8;

    public override IReadOnlyCollection<string>? PathKeys => _pathKey is null ? null : [_pathKey];

    /// <summary>The longest run of literal characters: every match contains it.</summary>
    public override IReadOnlyCollection<string>? Literals
    {
        get
        {
            var longest = "";
            foreach (var piece in _pieces)
            {
                var run = new System.Text.StringBuilder();
                foreach (var part in piece.Append(SigmaPatternPart.AnyChar))
                {
                    if (part.Kind == SigmaPatternPartKind.Literal)
                    {
                        run.Append(part.Text);
                        continue;
                    }

                    if (run.Length > longest.Length)
                    {
                        longest = run.ToString();
                    }

                    run.Clear();
                }
            }

            return longest.Length == 0 ? null : [longest];
        }
    }

    public override bool Matches(ReadOnlySpan<char> value)
    {
        if (_pieces.Length == 0)
        {
            return !_anchoredStart || value.IsEmpty;
        }

        var position = 0;
        var first = 0;
        var last = _pieces.Length;
        if (_anchoredStart)
        {
            if (!MatchesAt(_pieces[0], value, 0))
            {
                return false;
            }

            position = _pieces[0].Length;
            first = 1;
            if (_pieces.Length == 1 && _anchoredEnd)
            {
                return position == value.Length;
            }
        }

        var endStart = value.Length;
        if (_anchoredEnd)
        {
            var tail = _pieces[^1];
            endStart = value.Length - tail.Length;
            if (endStart < position || !MatchesAt(tail, value, endStart))
            {
                return false;
            }

            last--;
        }

        for (var i = first; i < last; i++)
        {
            var piece = _pieces[i];
            var found = -1;
            for (var at = position; at + piece.Length <= endStart; at++)
            {
                if (MatchesAt(piece, value, at))
                {
                    found = at;
                    break;
                }
            }

            if (found < 0)
            {
                return false;
            }

            position = found + piece.Length;
        }

        return true;
    }

    private bool MatchesAt(SigmaPatternPart[] piece, ReadOnlySpan<char> value, int at)
    {
        if (at + piece.Length > value.Length)
        {
            return false;
        }

        for (var i = 0; i < piece.Length; i++)
        {
            var c = value[at + i];
            var part = piece[i];
            var ok = part.Kind switch
            {
                SigmaPatternPartKind.AnyChar => true,
                SigmaPatternPartKind.Dash => Array.IndexOf(SigmaPattern.WindashCharacters, c) >= 0,
                _ => _cased ? c == part.Text[0] : char.ToUpperInvariant(c) == char.ToUpperInvariant(part.Text[0]),
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }
}
