namespace Osprey.Testing.Paths;

/// <summary>Finds the repository and the built executables from a test's output directory.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The build configuration the tests were built with (Debug or Release).</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    /// <summary>The built apphost of a src project, e.g. Executable("Osprey.Node", "osprey-node").</summary>
    public static string Executable(string project, string name)
    {
        var path = Path.Combine(Root, "src", project, "bin", Configuration, "net10.0", name);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path} is missing; build the solution first (dotnet build Osprey.slnx -c {Configuration})", path);
        }
        return path;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Osprey.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"no Osprey.slnx above {AppContext.BaseDirectory}");
    }
}
