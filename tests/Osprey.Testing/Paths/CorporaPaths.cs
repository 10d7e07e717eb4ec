namespace Osprey.Testing.Paths;

/// <summary>
/// The shared outside test material: <c>$OSPREY_CORPORA</c> when set, otherwise <c>../shared/corpora</c> beside the
/// repository. A missing corpus is an error naming where it was looked for; tests that need it fail, never skip.
/// </summary>
public static class CorporaPaths
{
    public static string Root
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("OSPREY_CORPORA");
            return string.IsNullOrEmpty(configured) ? Path.GetFullPath(Path.Combine(RepositoryPaths.Root, "..", "shared", "corpora")) : configured;
        }
    }

    /// <summary>A folder of the corpora ("openioc", "sigma/linux"); throws when it is not there.</summary>
    public static string Require(string relative)
    {
        var path = Path.GetFullPath(Path.Combine(Root, relative));
        return Directory.Exists(path)
            ? path
            : throw new DirectoryNotFoundException($"the {relative} corpus is missing: no {path} (set OSPREY_CORPORA to the corpora folder, or put it at ../shared/corpora beside the repository)");
    }
}
