using System.Globalization;
using System.Security.Cryptography;
using Osprey.Contracts.V1;
using Osprey.Detection.OpenIoc;

namespace Osprey.Node.Tasks;

/// <summary>
/// The checks of an "ioc-scan" task before it is stored: every IOC file parses (an agent never gets a task half of
/// whose indicators it would drop), sizes and bounds are within what agents accept, and file roots are absolute.
/// </summary>
public static class IocScanCheck
{
    public const int MaxFiles = 1000;
    public const long MaxTotalBytes = 16L * 1024 * 1024;

    // The agents' own ceilings (Osprey.Agent IocScanDefaults): a task beyond them would only fail there.
    private const uint MaxObjectsPerIndicator = 10_000;
    private const uint MaxWalkFiles = 5_000_000;
    private const uint MaxDepth = 64;
    private const int MaxRoots = 64;

    public static string? Problem(IocScanParams parameters)
    {
        if (parameters.IocFiles.Count is 0 or > MaxFiles)
        {
            return $"an IOC scan needs 1 to {MaxFiles} IOC files (ioc_files)";
        }
        var total = parameters.IocFiles.Sum(f => (long)f.Content.Length);
        if (total > MaxTotalBytes)
        {
            return string.Create(CultureInfo.InvariantCulture, $"the IOC files hold {total} bytes; at most {MaxTotalBytes} in one task");
        }
        foreach (var file in parameters.IocFiles)
        {
            if (string.IsNullOrWhiteSpace(file.Name) || file.Name.Length > 1024)
            {
                return "every IOC file needs a name of at most 1024 characters";
            }
            if (file.Sha256.Length > 0 && !string.Equals(Sha256(file), file.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                return $"{file.Name}: the content does not match its sha256 {file.Sha256}";
            }
            var parsed = IocParser.Parse(file.Content.Memory, file.Name);
            if (!parsed.Parsed)
            {
                return parsed.Message;
            }
        }
        if (parameters.MaxObjectsPerIndicator > MaxObjectsPerIndicator || parameters.MaxFiles > MaxWalkFiles || parameters.MaxDepth > MaxDepth)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"bounds too high: at most {MaxObjectsPerIndicator} objects per indicator (max_objects_per_indicator), {MaxWalkFiles} files (max_files), depth {MaxDepth} (max_depth)");
        }
        if (parameters.FileRoots.Count > MaxRoots)
        {
            return $"at most {MaxRoots} file roots";
        }
        foreach (var root in parameters.FileRoots)
        {
            if (root.Length is 0 or > 4096 || root[0] != '/' || root.Contains('\0', StringComparison.Ordinal) || root.Split('/').Contains("..", StringComparer.Ordinal))
            {
                return $"file root '{root}' is not an absolute path without '..'";
            }
        }
        return null;
    }

    /// <summary>Fills in the SHA-256 of IOC files sent without one, so the agent can check what it received.</summary>
    public static void Stamp(IocScanParams parameters)
    {
        foreach (var file in parameters.IocFiles.Where(f => f.Sha256.Length == 0))
        {
            file.Sha256 = Sha256(file);
        }
    }

    private static string Sha256(IocFile file) => Convert.ToHexStringLower(SHA256.HashData(file.Content.Span));
}
