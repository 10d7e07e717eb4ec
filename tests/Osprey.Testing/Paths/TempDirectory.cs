namespace Osprey.Testing.Paths;

/// <summary>A directory under /tmp removed when disposed.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix = "osprey-test")
    {
        Path = Directory.CreateTempSubdirectory(prefix + "-").FullName;
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
