namespace Osprey.Detection.OpenIoc;

/// <summary>A set of node ordinals (the nodes that made a binding hold), sorted and shared: never changed once made.</summary>
internal static class IocBranch
{
    public static readonly int[] Empty = [];

    public static int[] Of(int ordinal) => [ordinal];

    public static int[] Union(int[] a, int[] b)
    {
        if (ReferenceEquals(a, b) || b.Length == 0)
        {
            return a;
        }
        if (a.Length == 0)
        {
            return b;
        }
        var merged = new List<int>(a.Length + b.Length);
        int i = 0, j = 0;
        while (i < a.Length || j < b.Length)
        {
            if (j == b.Length || (i < a.Length && a[i] < b[j]))
            {
                merged.Add(a[i++]);
            }
            else if (i == a.Length || b[j] < a[i])
            {
                merged.Add(b[j++]);
            }
            else
            {
                merged.Add(a[i++]);
                j++;
            }
        }
        return merged.Count == a.Length ? a : merged.Count == b.Length ? b : [.. merged];
    }

    public static int[] With(int[] a, int ordinal) => Union(a, [ordinal]);
}
