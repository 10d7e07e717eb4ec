using Osprey.Contracts.Security;
using System.Net;
using System.Text.Json;
using Osprey.Node.Configuration;
using Osprey.Node.OperatorApi;
using Osprey.Node.Pki;
using Osprey.Node.Security;
using Osprey.Node.Storage;

namespace Osprey.Node.Hosting;

/// <summary>`osprey-node init`: creates the data directory, the CA, the TLS certificate and the administrator.</summary>
public static class NodeInitializer
{
    /// <summary>What init prints: the pin agents and operators check, and the administrator's API token.</summary>
    public sealed record Result(string Pin, string AdminToken, string Listen);

    public static Result Initialize(string dataDir, string listen, NodeRole role, TimeProvider time)
    {
        var options = new NodeOptions { Listen = listen, Role = role };
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new NodeConfigurationException(string.Join("; ", errors));
        }
        var paths = new NodePaths(Path.GetFullPath(dataDir));
        if (File.Exists(paths.Options))
        {
            throw new NodeConfigurationException($"{paths.DataDir} already holds a node (node.json exists); choose another directory");
        }
        Directory.CreateDirectory(paths.DataDir);
        File.SetUnixFileMode(paths.DataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var secrets = SecretBox.CreateKeyFile(paths.SecretKey);
        using var ca = NodeCertificateAuthority.Create(paths, secrets, Environment.MachineName, IPEndPoint.Parse(listen), time);
        var store = new SqliteNodeStore(paths.Database);
        store.Initialize();
        store.AddUser("admin", Roles.Administrator, null, time.NowUs());
        var token = OperatorEndpoints.IssueApiToken(store, "admin", time, null);
        // node.json last: its presence marks a complete initialisation.
        SecureFile.WriteAllBytes(paths.Options, JsonSerializer.SerializeToUtf8Bytes(options, NodeJsonContext.Default.NodeOptions));
        return new Result(ca.Pin, token, listen);
    }

    public static NodeOptions LoadOptions(NodePaths paths)
    {
        if (!File.Exists(paths.Options))
        {
            throw new NodeConfigurationException($"{paths.DataDir} holds no node; run 'osprey-node init --data {paths.DataDir}' first");
        }
        NodeOptions? options;
        try
        {
            options = JsonSerializer.Deserialize(File.ReadAllBytes(paths.Options), NodeJsonContext.Default.NodeOptions);
        }
        catch (JsonException e)
        {
            throw new NodeConfigurationException($"{paths.Options} is not valid: {e.Message}", e);
        }
        if (options is null)
        {
            throw new NodeConfigurationException($"{paths.Options} is empty");
        }
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new NodeConfigurationException($"{paths.Options} is not valid: {string.Join("; ", errors)}");
        }
        return options;
    }
}
