namespace Osprey.Contracts.Tests;

/// <summary>Locates the checkout the tests run from (the directory holding Osprey.slnx).</summary>
internal static class RepositoryRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "Osprey.slnx")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"No Osprey.slnx above {AppContext.BaseDirectory}; run the tests from a checkout.");
    }
}
