namespace Osprey.Detection.Sigma;

/// <summary>
/// A search identifier of the detection section: alternatives linked by OR (a list of maps, or keyword values),
/// each alternative a list of items linked by AND (the entries of one map).
/// </summary>
internal sealed record SigmaSearch(string Name, IReadOnlyList<IReadOnlyList<SigmaFieldItem>> Branches, int Line);
