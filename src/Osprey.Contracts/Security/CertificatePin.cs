using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Osprey.Contracts.Security;

/// <summary>The pin of a certificate: lowercase hex SHA-256 of its DER SubjectPublicKeyInfo.</summary>
public static class CertificatePin
{
    public static string Compute(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToHexStringLower(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));
    }

    /// <summary>Accepts hex with or without colons, any case, or "sha256:" prefixed.</summary>
    public static string Normalize(string pin)
    {
        ArgumentNullException.ThrowIfNull(pin);
        var text = pin.Trim();
        if (text.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase))
        {
            text = text[7..];
        }
        text = text.Replace(":", "", StringComparison.Ordinal).ToLowerInvariant();
        if (text.Length != 64 || !text.All(char.IsAsciiHexDigit))
        {
            throw new FormatException("A pin is the SHA-256 of the node CA's public key: 64 hexadecimal digits.");
        }
        return text;
    }
}
