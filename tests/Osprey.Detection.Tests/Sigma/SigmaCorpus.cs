using Osprey.Detection.Sigma;
using Osprey.Testing.Paths;

namespace Osprey.Detection.Tests.Sigma;

/// <summary>
/// The SigmaHQ Linux rules in the shared corpora: <c>$OSPREY_CORPORA/sigma/linux</c> when that variable is set,
/// otherwise <c>../shared/corpora/sigma/linux</c> beside the repository (where the corpora README puts them). A
/// missing corpus fails the tests that need it with a message saying where it was looked for; it never skips them.
/// </summary>
internal static class SigmaCorpus
{
    private static readonly Lazy<IReadOnlyList<SigmaCompileResult>> Compiled = new(() => new SigmaCompiler().CompileDirectory(LinuxRules));

    public static string Root => Path.GetDirectoryName(CorporaPaths.Require("sigma"))!;

    public static string LinuxRules => Path.Combine(Root, "sigma", "linux");

    public static string Rule(string relativePath) => Path.Combine(LinuxRules, relativePath);

    /// <summary>Every result of compiling the Linux rules once (shared by the tests).</summary>
    public static IReadOnlyList<SigmaCompileResult> Results => Compiled.Value;

    /// <summary>The compiled corpus rule of <paramref name="relativePath"/>; fails when it did not compile.</summary>
    public static CompiledSigmaRule CompiledRule(string relativePath)
    {
        var path = Rule(relativePath);
        var result = Results.Single(r => r.Source == path);
        return result.Compiled ?? throw new InvalidOperationException($"{relativePath} did not compile: {result.Message}");
    }
}
