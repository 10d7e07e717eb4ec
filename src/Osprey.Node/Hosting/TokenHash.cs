using System.Security.Cryptography;
using System.Text;

namespace Osprey.Node.Hosting;

/// <summary>
/// Tokens are 256-bit random secrets, so a plain SHA-256 is a safe stored form (no dictionary to attack);
/// operator passwords use PasswordHasher instead.
/// </summary>
public static class TokenHash
{
    public static byte[] Of(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>A new random token: a short prefix naming its kind and 43 base64url characters.</summary>
    public static string NewToken(string prefix) =>
        prefix + "_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
