namespace Osprey.Detection.Sigma;

/// <summary>Reads the modifier names of a detection key (<c>CommandLine|contains|all</c>).</summary>
internal static class SigmaModifiers
{
    private static readonly Dictionary<string, SigmaModifier> Names = new(StringComparer.Ordinal)
    {
        ["contains"] = SigmaModifier.Contains,
        ["startswith"] = SigmaModifier.StartsWith,
        ["endswith"] = SigmaModifier.EndsWith,
        ["all"] = SigmaModifier.All,
        ["base64"] = SigmaModifier.Base64,
        ["base64offset"] = SigmaModifier.Base64Offset,
        ["utf16le"] = SigmaModifier.Utf16Le,
        ["utf16be"] = SigmaModifier.Utf16Be,
        ["utf16"] = SigmaModifier.Utf16,
        ["wide"] = SigmaModifier.Wide,
        ["windash"] = SigmaModifier.Windash,
        ["re"] = SigmaModifier.Re,
        ["i"] = SigmaModifier.ReIgnoreCase,
        ["m"] = SigmaModifier.ReMultiline,
        ["s"] = SigmaModifier.ReDotAll,
        ["cidr"] = SigmaModifier.Cidr,
        ["exists"] = SigmaModifier.Exists,
        ["gt"] = SigmaModifier.Gt,
        ["gte"] = SigmaModifier.Gte,
        ["lt"] = SigmaModifier.Lt,
        ["lte"] = SigmaModifier.Lte,
        ["neq"] = SigmaModifier.Neq,
        ["fieldref"] = SigmaModifier.FieldRef,
        ["cased"] = SigmaModifier.Cased,
        ["expand"] = SigmaModifier.Expand,
        ["minute"] = SigmaModifier.Minute,
        ["hour"] = SigmaModifier.Hour,
        ["day"] = SigmaModifier.Day,
        ["week"] = SigmaModifier.Week,
        ["month"] = SigmaModifier.Month,
        ["year"] = SigmaModifier.Year,
    };

    /// <summary>Splits a detection key into the field name (null for a keyword item such as <c>|all</c>) and its modifiers.</summary>
    public static (string? Field, IReadOnlyList<SigmaModifier> Modifiers) Split(string key, int line)
    {
        var parts = key.Split('|');
        var field = parts[0].Trim();
        var modifiers = new List<SigmaModifier>(parts.Length - 1);
        for (var i = 1; i < parts.Length; i++)
        {
            var name = parts[i].Trim();
            if (!Names.TryGetValue(name, out var modifier))
            {
                throw SigmaRuleException.Invalid(name.Length == 0 ? $"empty modifier in '{key}'" : $"unknown modifier '{name}' in '{key}'", line);
            }

            modifiers.Add(modifier);
        }

        return (field.Length == 0 ? null : field, modifiers);
    }

    public static string NameOf(SigmaModifier modifier)
    {
        foreach (var (name, value) in Names)
        {
            if (value == modifier)
            {
                return name;
            }
        }

        return modifier.ToString();
    }
}
