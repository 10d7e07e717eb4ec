using System.Runtime.Versioning;
using System.Security.Cryptography;

namespace Osprey.Contracts.Security;

/// <summary>
/// AES-256-GCM container for secrets at rest, keyed by a root-only key file (the node's CA and TLS keys, the
/// agent's crypto container).
/// Format: version (1 byte, 1) | nonce (12) | tag (16) | ciphertext.
/// </summary>
public sealed class SecretBox
{
    private const byte FormatVersion = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _key;

    private SecretBox(byte[] key) => _key = key;

    [SupportedOSPlatform("linux")]
    public static SecretBox CreateKeyFile(string path)
    {
        var key = RandomNumberGenerator.GetBytes(32);
        SecureFile.WriteAllBytes(path, key);
        return new SecretBox(key);
    }

    public static SecretBox Open(string path)
    {
        byte[] key;
        try
        {
            key = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SecretKeyException($"cannot read the secret key file {path}: {e.Message}", e);
        }
        if (key.Length != 32)
        {
            throw new SecretKeyException($"the secret key file {path} is damaged: expected 32 bytes, found {key.Length}");
        }
        return new SecretBox(key);
    }

    public byte[] Seal(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        var output = new byte[1 + NonceSize + TagSize + plaintext.Length];
        output[0] = FormatVersion;
        var nonce = output.AsSpan(1, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var gcm = new AesGcm(_key, TagSize);
        gcm.Encrypt(nonce, plaintext, output.AsSpan(1 + NonceSize + TagSize), output.AsSpan(1 + NonceSize, TagSize), associatedData);
        return output;
    }

    public byte[] Open(ReadOnlySpan<byte> sealedData, ReadOnlySpan<byte> associatedData)
    {
        if (sealedData.Length < 1 + NonceSize + TagSize || sealedData[0] != FormatVersion)
        {
            throw new CryptographicException("sealed secret has an unknown format");
        }
        var plaintext = new byte[sealedData.Length - 1 - NonceSize - TagSize];
        using var gcm = new AesGcm(_key, TagSize);
        gcm.Decrypt(sealedData.Slice(1, NonceSize), sealedData[(1 + NonceSize + TagSize)..], sealedData.Slice(1 + NonceSize, TagSize), plaintext, associatedData);
        return plaintext;
    }
}

/// <summary>The secret key file is missing, unreadable or damaged.</summary>
public sealed class SecretKeyException(string message, Exception? inner = null) : Exception(message, inner);
