using Osprey.Testing.Paths;

namespace Osprey.Detection.Tests.OpenIoc;

/// <summary>The OpenIOC files of the shared corpora (<see cref="CorporaPaths"/>, folder <c>openioc</c>).</summary>
internal static class IocCorpus
{
    public static string Root => CorporaPaths.Require("openioc");

    /// <summary>Every .ioc and .ioc.xml file of the corpus (the schema and term lists left out), sorted.</summary>
    public static IReadOnlyList<string> Files() =>
        [.. Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".ioc", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".ioc.xml", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)];
}
