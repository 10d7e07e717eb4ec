using Osprey.Agent.Interop;
using Osprey.Agent.Sensors.Hashing;
using Osprey.Agent.Sensors.Processes;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Forensics;

/// <summary>
/// Reads the autorun points of a Linux system (the live one, or one mounted under another root) into entries: what
/// each starts, where it is registered, and the registering file's metadata and hashes. Symbolic links are followed
/// inside the root (an absolute target is taken relative to it). Bounded: at most a number of entries, files read up to
/// <see cref="MaxFileBytes"/>. The sources are in <c>AutorunCollector.Sources.cs</c>.
/// </summary>
internal sealed partial class AutorunCollector
{
    public const int DefaultMaxEntries = 10_000;
    private const int MaxFileBytes = 1 << 20;
    private const int MaxLinkHops = 16;

    /// <summary>Every autorun type this collector reports.</summary>
    public static readonly IReadOnlySet<string> Types = new HashSet<string>(StringComparer.Ordinal)
    {
        "systemd-unit", "systemd-timer", "cron", "at-job", "init-script", "rc-local", "xdg-autostart", "shell-profile",
        "ld-preload", "kernel-module", "udev-rule", "authorized-key",
    };

    private readonly string _root;
    private readonly FileHasher _hasher;
    private readonly ProcessEventFactory _facts;
    private readonly UserDirectory _users;
    private readonly bool _hashExecutables;
    private readonly IReadOnlySet<string> _types;
    private readonly int _maxEntries;
    private readonly AutorunsResult _result = new();
    private readonly Dictionary<string, (FileRef File, FileMetadata Metadata)?> _files = new(StringComparer.Ordinal);
    private readonly HashSet<string> _listed = new(StringComparer.Ordinal);

    /// <param name="root">The directory read as "/" ("/" for the live system).</param>
    /// <param name="users">The accounts of that system (for home directories and crontab owners).</param>
    public AutorunCollector(string root, FileHasher hasher, ProcessEventFactory facts, UserDirectory users, bool hashExecutables, IReadOnlySet<string> types, int maxEntries)
    {
        _root = root.TrimEnd('/');
        _hasher = hasher;
        _facts = facts;
        _users = users;
        _hashExecutables = hashExecutables;
        _types = types.Count == 0 ? Types : types;
        _maxEntries = maxEntries;
    }

    public AutorunsResult Collect(CancellationToken cancellationToken)
    {
        var accounts = _users.Accounts();
        var sources = new (string Type, Action Read)[]
        {
            ("systemd-unit", () => Systemd(accounts)),
            ("cron", Cron),
            ("at-job", AtJobs),
            ("rc-local", RcLocal),
            ("init-script", InitScripts),
            ("shell-profile", () => ShellProfiles(accounts)),
            ("xdg-autostart", () => XdgAutostart(accounts)),
            ("ld-preload", LdPreload),
            ("kernel-module", KernelModules),
            ("udev-rule", Udev),
            ("authorized-key", () => AuthorizedKeys(accounts)),
        };
        foreach (var (type, read) in sources)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_types.Contains(type) || (type == "systemd-unit" && _types.Contains("systemd-timer")))
            {
                read();
            }
        }
        return _result;
    }

    /// <summary>The path of <paramref name="path"/> (absolute in the examined system) on this one.</summary>
    private string Real(string path) => _root.Length == 0 ? path : _root + path;

    /// <summary>Adds an entry unless its type is filtered out or the bound is reached.</summary>
    private void Add(string type, string file, AutorunCommand command, string? program = null)
    {
        if (!_types.Contains(type))
        {
            return;
        }
        if (_result.Entries.Count >= _maxEntries)
        {
            _result.Truncated = true;
            return;
        }
        var entry = new AutorunEntry
        {
            Type = type,
            Location = command.Line > 0 ? $"{file}:{command.Line}" : file,
            Command = command.Command,
            User = command.User,
            Enabled = command.Enabled,
        };
        if (Describe(file) is { } described)
        {
            entry.File = described.File.Clone();
            entry.Metadata = described.Metadata.Clone();
        }
        if (ProgramPath(program ?? command.Command) is { } executable && Resolve(Real(executable)) is { } real
            && Libc.Stat(real, followLinks: true, out _) is { IsRegularFile: true } status)
        {
            entry.Executable = new FileRef { Path = real, Name = Path.GetFileName(real), Size = status.Size, ModifiedUs = status.ModifyUs, CreatedUs = status.BirthUs };
            if (_hashExecutables && _hasher.TryHash(real) is { } hashes)
            {
                (entry.Executable.Md5, entry.Executable.Sha256) = (hashes.Md5, hashes.Sha256);
            }
        }
        _result.Entries.Add(entry);
    }

    // Name, size, times and hashes of a registering file, and its owner, mode and flags; once per file.
    private (FileRef File, FileMetadata Metadata)? Describe(string path)
    {
        if (_files.TryGetValue(path, out var known))
        {
            return known;
        }
        (FileRef, FileMetadata)? described = null;
        if (Libc.Stat(path, followLinks: true, out _) is { } status)
        {
            var file = new FileRef
            {
                Path = path, Name = Path.GetFileName(path), Size = status.Size, CreatedUs = status.BirthUs, ModifiedUs = status.ModifyUs, AccessedUs = status.AccessUs,
            };
            if (status.IsRegularFile && _hasher.TryHash(path) is { } hashes)
            {
                (file.Md5, file.Sha256) = (hashes.Md5, hashes.Sha256);
            }
            described = (file, _facts.MetadataOf(status, path));
        }
        _files[path] = described;
        return described;
    }

    /// <summary>The program a command line starts, when it names one by absolute path ("ExecStart=" and quotes taken off).</summary>
    private static string? ProgramPath(string command)
    {
        var text = command.StartsWith("Exec", StringComparison.Ordinal) && command.IndexOf('=', StringComparison.Ordinal) is > 0 and var equals ? command[(equals + 1)..] : command;
        var first = text.TrimStart().Split([' ', '\t', ';'], 2)[0].Trim('"', '\'');
        return first.StartsWith('/') ? first : null;
    }

    /// <summary>Follows symbolic links inside the root; null when the path does not exist (or loops).</summary>
    private string? Resolve(string path)
    {
        for (var hop = 0; hop < MaxLinkHops; hop++)
        {
            var status = Libc.Stat(path, followLinks: false, out _);
            if (status is null)
            {
                return null;
            }
            if (!status.IsSymbolicLink)
            {
                return path;
            }
            var target = new FileInfo(path).LinkTarget;
            if (target is null)
            {
                return null;
            }
            path = target.StartsWith('/') ? Real(target) : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, target));
        }
        return null;
    }

    /// <summary>The text of a file (its first <see cref="MaxFileBytes"/>); null when it does not exist or cannot be read (then an error).</summary>
    private string? Read(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
            var buffer = new byte[Math.Min(MaxFileBytes, Math.Max(0, stream.Length) + 1)];
            var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            return System.Text.Encoding.UTF8.GetString(buffer, 0, Math.Min(read, MaxFileBytes));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Error(path, e is UnauthorizedAccessException ? Errno.EACCES : 5, e.Message);
            return null;
        }
    }

    /// <summary>The files (not subdirectories) of a directory of the examined system, sorted; a directory reached twice (through a link) is listed once.</summary>
    private List<string> Files(string directory, string? suffix = null)
    {
        if (Resolve(Real(directory)) is not { } real || !_listed.Add(real))
        {
            return [];
        }
        try
        {
            return [.. Directory.EnumerateFileSystemEntries(real)
                .Where(f => (suffix is null || f.EndsWith(suffix, StringComparison.Ordinal)) && Libc.Stat(f, followLinks: true, out _) is { IsDirectory: false })
                .Order(StringComparer.Ordinal)];
        }
        catch (Exception e) when (e is DirectoryNotFoundException)
        {
            return [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Error(real, e is UnauthorizedAccessException ? Errno.EACCES : 5, e.Message);
            return [];
        }
    }

    private void Error(string path, int code, string message) =>
        _result.Errors.Add(new ObjectError { ObjectName = path, Code = code, Message = message });

    private string OwnerName(string path) =>
        Libc.Stat(path, followLinks: true, out _) is { } status ? _users.UserName(status.Uid) ?? status.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture) : "";
}
