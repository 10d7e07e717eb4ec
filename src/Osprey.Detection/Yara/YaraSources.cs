using System.Security.Cryptography;
using System.Text;

namespace Osprey.Detection.Yara;

/// <summary>Checks on rule files that arrive from outside (an operator, the node) before they reach the compiler.</summary>
public static class YaraSources
{
    public const int MaxFiles = 10_000;
    public const long MaxTotalBytes = 64L << 20;

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// The sources of uploaded rule files, or what is wrong with them (no files, too many or too large, a name that is
    /// empty, too long or repeated, a declared SHA-256 the content does not have, content that is not UTF-8 text).
    /// </summary>
    public static (List<YaraSource>? Sources, string? Problem) From(IReadOnlyList<(string Name, ReadOnlyMemory<byte> Content, string Sha256)> files)
    {
        if (files.Count is 0 or > MaxFiles)
        {
            return (null, $"a YARA scan needs 1 to {MaxFiles} rule files");
        }
        if (files.Sum(f => (long)f.Content.Length) > MaxTotalBytes)
        {
            return (null, $"the rule files hold more than {MaxTotalBytes >> 20} MiB");
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        var sources = new List<YaraSource>(files.Count);
        foreach (var (name, content, sha256) in files)
        {
            if (string.IsNullOrWhiteSpace(name) || name.Length > 1024 || name.Contains('\0', StringComparison.Ordinal))
            {
                return (null, "every rule file needs a name of at most 1024 characters");
            }
            if (!names.Add(name))
            {
                return (null, $"the rule file name '{name}' is given twice (each file is a namespace)");
            }
            if (sha256.Length > 0 && !string.Equals(Convert.ToHexStringLower(SHA256.HashData(content.Span)), sha256, StringComparison.OrdinalIgnoreCase))
            {
                return (null, $"rule file '{name}' does not have the declared SHA-256 {sha256}");
            }
            try
            {
                sources.Add(new YaraSource(name, Strict.GetString(content.Span)));
            }
            catch (DecoderFallbackException)
            {
                return (null, $"rule file '{name}' is not UTF-8 text");
            }
        }
        return (sources, null);
    }
}
