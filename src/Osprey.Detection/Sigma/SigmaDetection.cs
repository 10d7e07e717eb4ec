namespace Osprey.Detection.Sigma;

/// <summary>The detection section of a rule: its search identifiers in file order and its condition(s), linked by OR.</summary>
internal sealed record SigmaDetection(IReadOnlyList<SigmaSearch> Searches, IReadOnlyList<(string Text, int Line)> Conditions)
{
    public SigmaSearch? Find(string name)
    {
        foreach (var search in Searches)
        {
            if (string.Equals(search.Name, name, StringComparison.Ordinal))
            {
                return search;
            }
        }

        return null;
    }
}
