using System.Text;
using Osprey.Detection.Yara;
using Osprey.Testing.Paths;

namespace Osprey.Detection.Tests.Yara;

/// <summary>
/// The YARA rule sets in the shared corpora (<c>$OSPREY_CORPORA/yara</c>, or <c>../shared/corpora/yara</c> beside the
/// repository); a missing corpus fails the tests that need it, never skips them.
/// </summary>
internal static class YaraCorpus
{
    public static string Root
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("OSPREY_CORPORA");
            var root = Path.Combine(string.IsNullOrEmpty(configured) ? Path.GetFullPath(Path.Combine(RepositoryPaths.Root, "..", "shared", "corpora")) : configured, "yara");
            if (!Directory.Exists(root))
            {
                throw new DirectoryNotFoundException($"the YARA corpus is missing: no {root} (set OSPREY_CORPORA to the corpora folder, or put it at ../shared/corpora beside the repository)");
            }
            return root;
        }
    }

    /// <summary>
    /// The Linux subsets that need no external variables (the yara CLI would need -d for those): Elastic's, Yara-Rules'
    /// and ReversingLabs'. Each file's name (relative to the corpus) is its namespace.
    /// </summary>
    public static IReadOnlyList<string> LinuxRuleFiles() =>
        [.. new[] { "elastic-protections-artifacts", "Yara-Rules-rules", "reversinglabs-yara-rules" }
            .SelectMany(set => Directory.EnumerateFiles(Path.Combine(Root, set, "linux_subset"), "*", SearchOption.AllDirectories))
            .Order(StringComparer.Ordinal)];

    public static string NamespaceOf(string file) => Path.GetRelativePath(Root, file).Replace('/', '_').Replace(':', '_');

    public static List<YaraSource> Sources(IEnumerable<string> files) =>
        [.. files.Select(f => new YaraSource(NamespaceOf(f), File.ReadAllText(f, Encoding.UTF8)))];
}
