using System.Security.Cryptography;

namespace Osprey.Contracts.Security;

/// <summary>
/// Seals a secret (a run-as password) to one agent: ECDH between a fresh P-256 key and the public key of the agent's
/// client certificate, HKDF-SHA256, AES-256-GCM. Only the holder of the agent's private key (in its crypto container)
/// can open it. Format: version (1) | ephemeral public point, uncompressed (65) | nonce (12) | tag (16) | ciphertext.
/// </summary>
public static class AgentSeal
{
    private const byte FormatVersion = 1;
    private const int PointSize = 65;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private static readonly byte[] Info = "osprey agent seal v1"u8.ToArray();

    /// <summary>Seals <paramref name="plaintext"/> to the P-256 public key <paramref name="agentKey"/>; <paramref name="context"/> binds it (the task ID).</summary>
    public static byte[] Seal(ECParameters agentKey, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> context)
    {
        using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        using var recipient = ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = agentKey.Q });
        var point = ephemeral.ExportParameters(false).Q;
        var key = Key(ephemeral, recipient.PublicKey, point, context);
        var output = new byte[1 + PointSize + NonceSize + TagSize + plaintext.Length];
        output[0] = FormatVersion;
        output[1] = 4;
        point.X!.CopyTo(output, 2);
        point.Y!.CopyTo(output, 34);
        var nonce = output.AsSpan(1 + PointSize, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var gcm = new AesGcm(key, TagSize);
        gcm.Encrypt(nonce, plaintext, output.AsSpan(1 + PointSize + NonceSize + TagSize), output.AsSpan(1 + PointSize + NonceSize, TagSize), context);
        return output;
    }

    /// <summary>Opens a sealed secret with the agent's private key; throws <see cref="CryptographicException"/> when it is not for this key or was altered.</summary>
    public static byte[] Open(ECParameters agentPrivateKey, ReadOnlySpan<byte> sealedData, ReadOnlySpan<byte> context)
    {
        if (sealedData.Length < 1 + PointSize + NonceSize + TagSize || sealedData[0] != FormatVersion || sealedData[1] != 4)
        {
            throw new CryptographicException("the sealed secret has an unknown format");
        }
        var point = new ECPoint { X = sealedData.Slice(2, 32).ToArray(), Y = sealedData.Slice(34, 32).ToArray() };
        using var own = ECDiffieHellman.Create(agentPrivateKey);
        using var sender = ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = point });
        var key = Key(own, sender.PublicKey, point, context);
        var plaintext = new byte[sealedData.Length - 1 - PointSize - NonceSize - TagSize];
        using var gcm = new AesGcm(key, TagSize);
        gcm.Decrypt(
            sealedData.Slice(1 + PointSize, NonceSize), sealedData[(1 + PointSize + NonceSize + TagSize)..],
            sealedData.Slice(1 + PointSize + NonceSize, TagSize), plaintext, context);
        return plaintext;
    }

    private static byte[] Key(ECDiffieHellman own, ECDiffieHellmanPublicKey other, ECPoint ephemeralPoint, ReadOnlySpan<byte> context)
    {
        var shared = own.DeriveRawSecretAgreement(other);
        var salt = new byte[PointSize];
        salt[0] = 4;
        ephemeralPoint.X!.CopyTo(salt, 1);
        ephemeralPoint.Y!.CopyTo(salt, 33);
        return HKDF.DeriveKey(HashAlgorithmName.SHA256, shared, 32, salt, [.. Info, .. context]);
    }
}
