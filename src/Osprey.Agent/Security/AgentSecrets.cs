using System.Text.Json;
using System.Text.Json.Serialization;
using Osprey.Contracts.Security;

namespace Osprey.Agent.Security;

/// <summary>
/// The crypto container's content: the client certificate with its private key (PKCS#12), the proxy
/// password, and run-as passwords of tasks. Sealed with AES-256-GCM under the root-only key file.
/// </summary>
public sealed record AgentSecrets
{
    private static readonly byte[] Label = "osprey-agent-secrets-v1"u8.ToArray();

    public required string AgentId { get; init; }

    public required byte[] ClientCertificatePkcs12 { get; init; }

    public string? ProxyPassword { get; init; }

    public Dictionary<string, string> RunAsPasswords { get; init; } = [];

    public void Save(string keyPath, string sealedPath)
    {
        var box = File.Exists(keyPath) ? SecretBox.Open(keyPath) : SecretBox.CreateKeyFile(keyPath);
        SecureFile.WriteAllBytes(sealedPath, box.Seal(JsonSerializer.SerializeToUtf8Bytes(this, AgentSecretsJson.Default.AgentSecrets), Label));
    }

    /// <summary>Opens the container; throws <see cref="SecretKeyException"/> with the reason when it cannot.</summary>
    public static AgentSecrets Load(string keyPath, string sealedPath)
    {
        var box = SecretBox.Open(keyPath);
        byte[] sealedBytes;
        try
        {
            sealedBytes = File.ReadAllBytes(sealedPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SecretKeyException($"cannot read the crypto container {sealedPath}: {e.Message} (is the agent enrolled?)", e);
        }
        try
        {
            return JsonSerializer.Deserialize(box.Open(sealedBytes, Label), AgentSecretsJson.Default.AgentSecrets)
                ?? throw new SecretKeyException($"the crypto container {sealedPath} is empty");
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or JsonException)
        {
            throw new SecretKeyException($"the crypto container {sealedPath} cannot be opened with {keyPath}: it is damaged or belongs to another key", e);
        }
    }
}

[JsonSerializable(typeof(AgentSecrets))]
internal sealed partial class AgentSecretsJson : JsonSerializerContext;
