using Osprey.Testing.Paths;

namespace Osprey.Detection.Tests.OpenIoc;

/// <summary>
/// The OpenIOC files in the shared corpora: <c>$OSPREY_CORPORA/openioc</c> when that variable is set, otherwise
/// <c>../shared/corpora/openioc</c> beside the repository. A missing corpus fails the tests that need it, never skips them.
/// </summary>
internal static class IocCorpus
{
    public static string Root
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("OSPREY_CORPORA");
            var root = string.IsNullOrEmpty(configured) ? Path.GetFullPath(Path.Combine(RepositoryPaths.Root, "..", "shared", "corpora")) : configured;
            var openioc = Path.Combine(root, "openioc");
            if (!Directory.Exists(openioc))
            {
                throw new DirectoryNotFoundException($"the OpenIOC corpus is missing: no {openioc} (set OSPREY_CORPORA to the corpora folder, or put it at ../shared/corpora beside the repository)");
            }
            return openioc;
        }
    }

    /// <summary>Every .ioc and .ioc.xml file of the corpus (the schema and term lists left out), sorted.</summary>
    public static IReadOnlyList<string> Files() =>
        [.. Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".ioc", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".ioc.xml", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)];
}
