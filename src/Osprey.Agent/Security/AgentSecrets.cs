using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Osprey.Contracts.Security;

namespace Osprey.Agent.Security;

/// <summary>
/// The crypto container's content: the client certificate with its private key (PKCS#12), the proxy
/// password, run-as passwords of tasks and the quarantine store's key. Sealed with AES-256-GCM under the root-only key file.
/// </summary>
public sealed record AgentSecrets
{
    private static readonly byte[] Label = "osprey-agent-secrets-v1"u8.ToArray();

    public required string AgentId { get; init; }

    public required byte[] ClientCertificatePkcs12 { get; init; }

    public string? ProxyPassword { get; init; }

    public Dictionary<string, string> RunAsPasswords { get; init; } = [];

    /// <summary>The 32-byte key every quarantine entry's key is derived from; null in a container from before quarantine existed.</summary>
    public byte[]? QuarantineKey { get; init; }

    /// <summary>
    /// The container with a quarantine key, generating and saving one when it has none (a container written before the
    /// key existed). Called once at start-up, before anything else writes the container.
    /// </summary>
    public AgentSecrets WithQuarantineKey(string keyPath, string sealedPath)
    {
        if (QuarantineKey is { Length: 32 })
        {
            return this;
        }
        var updated = this with { QuarantineKey = RandomNumberGenerator.GetBytes(32) };
        updated.Save(keyPath, sealedPath);
        return updated;
    }

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
