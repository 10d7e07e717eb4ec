using System.Security.Cryptography;

namespace Osprey.Contracts.Storage;

/// <summary>
/// The chunk side of Storage uploads, shared by the node, the agent and the CLI: a chunk is a PATCH of raw bytes
/// with its offset in <c>Upload-Offset</c> and its SHA-256 in <c>Content-Digest</c> (RFC 9530); docs/storage.md.
/// </summary>
public static class UploadProtocol
{
    public const string OffsetHeader = "Upload-Offset";

    public const string DigestHeader = "Content-Digest";

    /// <summary>The whole object's digest on downloads (RFC 9530).</summary>
    public const string ObjectDigestHeader = "Repr-Digest";

    public const string ChunkContentType = "application/octet-stream";

    public const int DefaultChunkBytes = 4 * 1024 * 1024;

    private const string Prefix = "sha-256=:";

    /// <summary>The header value for a SHA-256: <c>sha-256=:BASE64:</c>.</summary>
    public static string FormatDigest(ReadOnlySpan<byte> sha256) => $"{Prefix}{Convert.ToBase64String(sha256)}:";

    /// <summary>The SHA-256 member of a Content-Digest / Repr-Digest value (other algorithms are skipped), or null.</summary>
    public static byte[]? ParseDigest(string? header)
    {
        if (string.IsNullOrEmpty(header))
        {
            return null;
        }
        foreach (var member in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (member.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) && member.EndsWith(':') && member.Length > Prefix.Length + 1)
            {
                var bytes = new byte[SHA256.HashSizeInBytes];
                return Convert.TryFromBase64String(member[Prefix.Length..^1], bytes, out var written) && written == bytes.Length ? bytes : null;
            }
        }
        return null;
    }

    /// <summary>The lowercase form of a 64-digit hex SHA-256, or null when the text is not one.</summary>
    public static string? NormalizeSha256(string? text) =>
        text is { Length: 64 } && text.All(char.IsAsciiHexDigit) ? text.ToLowerInvariant() : null;

    public static string ToHex(ReadOnlySpan<byte> hash) => Convert.ToHexStringLower(hash);
}
