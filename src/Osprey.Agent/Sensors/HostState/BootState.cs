using System.Globalization;
using System.Text;

namespace Osprey.Agent.Sensors.HostState;

/// <summary>
/// The boot the agent last reported and when it last saw that boot alive, kept in a small text file
/// ("osprey-boot-state 1" then key=value lines) replaced atomically. An unreadable file reads as no state.
/// </summary>
public sealed record BootState(string BootId, long BootTimeUs, long LastSeenUs)
{
    public const string FileName = "boot-state";
    private const string Header = "osprey-boot-state 1";
    private const int MaxBytes = 4096;

    public static BootState? Read(string directory)
    {
        try
        {
            var path = Path.Join(directory, FileName);
            if (new FileInfo(path) is not { Exists: true, Length: <= MaxBytes })
            {
                return null;
            }
            var lines = File.ReadAllLines(path);
            if (lines.Length == 0 || lines[0] != Header)
            {
                return null;
            }
            var values = lines.Skip(1).Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
            return values.TryGetValue("boot_id", out var id) && id.Length > 0
                && long.TryParse(values.GetValueOrDefault("boot_time_us"), NumberStyles.None, CultureInfo.InvariantCulture, out var boot)
                && long.TryParse(values.GetValueOrDefault("last_seen_us"), NumberStyles.None, CultureInfo.InvariantCulture, out var seen)
                ? new BootState(id, boot, seen)
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Writes to a temporary file, flushes it to disk, and renames it over the old one.</summary>
    public void Write(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Join(directory, FileName);
        var temporary = path + ".tmp";
        var text = string.Create(CultureInfo.InvariantCulture, $"{Header}\nboot_id={BootId}\nboot_time_us={BootTimeUs}\nlast_seen_us={LastSeenUs}\n");
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(Encoding.UTF8.GetBytes(text));
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }
}
