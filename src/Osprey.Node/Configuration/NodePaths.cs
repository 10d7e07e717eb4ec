namespace Osprey.Node.Configuration;

/// <summary>Where a node keeps its files inside its data directory.</summary>
public sealed record NodePaths(string DataDir)
{
    public string Options => Path.Combine(DataDir, "node.json");
    public string SecretKey => Path.Combine(DataDir, "secret.key");
    public string CaCertificate => Path.Combine(DataDir, "ca.crt");
    public string CaKey => Path.Combine(DataDir, "ca.key.sealed");
    public string ServerCertificate => Path.Combine(DataDir, "server.crt");
    public string ServerKey => Path.Combine(DataDir, "server.key.sealed");
    public string Database => Path.Combine(DataDir, "node.db");
    public string EventsDatabase => Path.Combine(DataDir, "events.db");
    public string ObjectStorage => Path.Combine(DataDir, "storage");
}
