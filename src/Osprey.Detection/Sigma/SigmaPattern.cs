using System.Text;

namespace Osprey.Detection.Sigma;

/// <summary>
/// A Sigma string value: literal text with <c>*</c> and <c>?</c> wildcards (and windash classes), as the rule's
/// escaping defines it — <c>\*</c> and <c>\?</c> are plain characters, <c>\\</c> is one backslash, any other
/// backslash is itself. <see cref="Original"/> keeps the text as written for modifiers that take it verbatim
/// (<c>re</c>, <c>cidr</c>, <c>fieldref</c>).
/// </summary>
internal sealed class SigmaPattern
{
    public static readonly char[] WindashCharacters = ['-', '/', '–', '—', '―'];

    private SigmaPattern(IReadOnlyList<SigmaPatternPart> parts, string original)
    {
        Parts = parts;
        Original = original;
    }

    public IReadOnlyList<SigmaPatternPart> Parts { get; }

    public string Original { get; }

    /// <summary>True when every part is literal text (no wildcard, no windash class).</summary>
    public bool IsPlain => Parts.All(p => p.Kind == SigmaPatternPartKind.Literal);

    /// <summary>The text of a plain pattern.</summary>
    public string PlainText => string.Concat(Parts.Select(p => p.Text));

    public static SigmaPattern Parse(string text)
    {
        var parts = new List<SigmaPatternPart>();
        var literal = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\\' && i + 1 < text.Length && text[i + 1] is '*' or '?' or '\\')
            {
                literal.Append(text[++i]);
            }
            else if (c is '*' or '?')
            {
                Flush(parts, literal);
                Append(parts, c == '*' ? SigmaPatternPart.AnyRun : SigmaPatternPart.AnyChar);
            }
            else
            {
                literal.Append(c);
            }
        }

        Flush(parts, literal);
        return new SigmaPattern(parts, text);
    }

    public static SigmaPattern Literal(string text) => new(text.Length == 0 ? [] : [SigmaPatternPart.Literal(text)], text);

    /// <summary>The pattern with <c>*</c> added in front unless it starts with one.</summary>
    public SigmaPattern WithLeadingAnyRun() =>
        Parts.Count > 0 && Parts[0].Kind == SigmaPatternPartKind.AnyRun ? this : new([SigmaPatternPart.AnyRun, .. Parts], Original);

    /// <summary>The pattern with <c>*</c> added at the end unless it ends with one.</summary>
    public SigmaPattern WithTrailingAnyRun() =>
        Parts.Count > 0 && Parts[^1].Kind == SigmaPatternPartKind.AnyRun ? this : new([.. Parts, SigmaPatternPart.AnyRun], Original);

    /// <summary>
    /// windash: every <c>-</c> or <c>/</c> that starts a word after a non-word character (or at the start of a
    /// literal) — a command-line flag — matches any of <see cref="WindashCharacters"/>.
    /// </summary>
    public SigmaPattern WithWindash()
    {
        var parts = new List<SigmaPatternPart>();
        foreach (var part in Parts)
        {
            if (part.Kind != SigmaPatternPartKind.Literal)
            {
                Append(parts, part);
                continue;
            }

            var literal = new StringBuilder();
            var text = part.Text;
            for (var i = 0; i < text.Length; i++)
            {
                var flag = text[i] is '-' or '/' && (i == 0 || !IsWordCharacter(text[i - 1])) && i + 1 < text.Length && IsWordCharacter(text[i + 1]);
                if (flag)
                {
                    Flush(parts, literal);
                    Append(parts, SigmaPatternPart.Dash);
                }
                else
                {
                    literal.Append(text[i]);
                }
            }

            Flush(parts, literal);
        }

        return new SigmaPattern(parts, Original);
    }

    /// <summary>
    /// Every concrete string a pattern without wildcards stands for (windash classes expanded); throws when it has
    /// wildcards or more than <see cref="SigmaLimits.MaxExpansions"/> variants.
    /// </summary>
    public IReadOnlyList<string> Expand(string modifier, int line)
    {
        var results = new List<string> { "" };
        foreach (var part in Parts)
        {
            switch (part.Kind)
            {
                case SigmaPatternPartKind.Literal:
                    for (var i = 0; i < results.Count; i++)
                    {
                        results[i] += part.Text;
                    }

                    break;
                case SigmaPatternPartKind.Dash:
                    if (results.Count * WindashCharacters.Length > SigmaLimits.MaxExpansions)
                    {
                        throw SigmaRuleException.Unsupported($"'{Original}' has more than {SigmaLimits.MaxExpansions} windash variants to encode with {modifier}", line);
                    }

                    results = [.. results.SelectMany(r => WindashCharacters.Select(d => r + d))];
                    break;
                default:
                    throw SigmaRuleException.Invalid($"{modifier} cannot encode the wildcards of '{Original}'; apply contains, startswith or endswith after {modifier}", line);
            }
        }

        return results;
    }

    /// <summary>The pattern with <c>%name%</c> placeholders in its literals replaced by each combination of their values (the expand modifier).</summary>
    public IReadOnlyList<SigmaPattern> ExpandPlaceholders(IReadOnlyDictionary<string, IReadOnlyList<string>> placeholders, int line)
    {
        var results = new List<List<SigmaPatternPart>> { new() };
        foreach (var part in Parts)
        {
            if (part.Kind != SigmaPatternPartKind.Literal)
            {
                results.ForEach(r => Append(r, part));
                continue;
            }

            var text = part.Text;
            var literal = new StringBuilder();
            for (var i = 0; i < text.Length; i++)
            {
                if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] == '%')
                {
                    literal.Append('%');
                    i++;
                    continue;
                }

                var end = text[i] == '%' ? text.IndexOf('%', i + 1) : -1;
                if (end < 0)
                {
                    literal.Append(text[i]);
                    continue;
                }

                var name = text[(i + 1)..end];
                if (!placeholders.TryGetValue(name, out var values) || values.Count == 0)
                {
                    throw SigmaRuleException.Unsupported($"placeholder %{name}% has no values configured for the expand modifier", line);
                }

                if (results.Count * values.Count > SigmaLimits.MaxExpansions)
                {
                    throw SigmaRuleException.Unsupported($"placeholders of '{Original}' expand to more than {SigmaLimits.MaxExpansions} values", line);
                }

                var prefix = literal.ToString();
                literal.Clear();
                results = [.. results.SelectMany(r => values.Select(v =>
                {
                    var copy = new List<SigmaPatternPart>(r);
                    Append(copy, SigmaPatternPart.Literal(prefix));
                    copy.AddRange(Parse(v).Parts);
                    return copy;
                }))];
                i = end;
            }

            if (literal.Length > 0)
            {
                var rest = literal.ToString();
                results.ForEach(r => Append(r, SigmaPatternPart.Literal(rest)));
            }
        }

        return [.. results.Select(parts => new SigmaPattern(Normalize(parts), Original))];
    }

    public override string ToString() => Original;

    private static bool IsWordCharacter(char c) => char.IsLetterOrDigit(c) || c == '_';

    private static void Flush(List<SigmaPatternPart> parts, StringBuilder literal)
    {
        if (literal.Length > 0)
        {
            Append(parts, SigmaPatternPart.Literal(literal.ToString()));
            literal.Clear();
        }
    }

    private static void Append(List<SigmaPatternPart> parts, SigmaPatternPart part)
    {
        if (part.Kind == SigmaPatternPartKind.Literal && part.Text.Length == 0)
        {
            return;
        }

        if (parts.Count > 0)
        {
            var last = parts[^1];
            if (part.Kind == SigmaPatternPartKind.AnyRun && last.Kind == SigmaPatternPartKind.AnyRun)
            {
                return;
            }

            if (part.Kind == SigmaPatternPartKind.Literal && last.Kind == SigmaPatternPartKind.Literal)
            {
                parts[^1] = SigmaPatternPart.Literal(last.Text + part.Text);
                return;
            }
        }

        parts.Add(part);
    }

    private static List<SigmaPatternPart> Normalize(List<SigmaPatternPart> parts)
    {
        var normalized = new List<SigmaPatternPart>(parts.Count);
        foreach (var part in parts)
        {
            Append(normalized, part);
        }

        return normalized;
    }
}
