using Osprey.Contracts.V1;

namespace Osprey.Agent.Sensors.HostState;

/// <summary>
/// systemd services created, modified and deleted: every *.service unit file in the unit directories, and
/// enabling, disabling or masking them (links in *.wants / *.requires, or to /dev/null). A modification carries
/// the previous values. The service fields: Type= (or the type systemd infers), the first ExecStart= command
/// with its arguments (prefixes such as "-" and "+" removed), Requires=, Requisite=, Wants=, BindsTo= and
/// After= as dependencies, User=, Description=, and the start type "enabled", "disabled" (an [Install] section
/// but no link), "static" (no [Install] section), "masked" or "alias" (the file is a link to another unit).
/// Drop-in directories (*.service.d) are not merged. Who made the change is not known to inotify.
/// </summary>
public sealed class ServiceSensor : ConfigFileSensor<ServiceConfig>
{
    private static readonly string[] InstallKeys = ["WantedBy", "RequiredBy", "UpheldBy", "Alias", "Also", "DefaultInstance"];

    private readonly ServiceSensorOptions _options;
    private readonly SystemdEnablement _enablement;
    private readonly PasswdIndex _passwd;
    private readonly HashSet<string> _unitDirectories;

    public ServiceSensor(ServiceSensorOptions? options = null)
    {
        _options = options ?? new ServiceSensorOptions();
        _enablement = new SystemdEnablement([.. _options.EnablementDirectories.Select(Path.TrimEndingDirectorySeparator)]);
        _passwd = new PasswdIndex(_options.PasswdPath);
        _unitDirectories = new(_options.UnitDirectories.Select(Path.TrimEndingDirectorySeparator), StringComparer.Ordinal);
    }

    public override string Name => "service";

    protected override IEnumerable<WatchTarget> InitialTargets()
    {
        foreach (var directory in _unitDirectories)
        {
            yield return WatchTarget.ForDirectory(directory, name => IsServiceName(name) || SystemdEnablement.IsDependencyDirectoryName(name));
        }
        foreach (var directory in _enablement.DependencyDirectories())
        {
            yield return DependencyTarget(directory);
        }
    }

    private static bool IsServiceName(string name) => name.EndsWith(".service", StringComparison.Ordinal) && !name.StartsWith('.');

    private static WatchTarget DependencyTarget(string directory) => WatchTarget.ForDirectory(directory, IsServiceName);

    protected override IEnumerable<string> Affected(string path)
    {
        var name = Path.GetFileName(path);
        var parent = Path.GetDirectoryName(path) ?? "";
        if (SystemdEnablement.IsDependencyDirectoryName(Path.GetFileName(parent)) && _enablement.Roots.Contains(Path.GetDirectoryName(parent)))
        {
            _enablement.Invalidate();
            return KnownPaths.Where(p => Enables(name, Path.GetFileName(p))).ToList();
        }
        if (SystemdEnablement.IsDependencyDirectoryName(name))
        {
            if (!_enablement.Roots.Contains(parent))
            {
                return [];
            }
            _enablement.Invalidate();
            if (Directory.Exists(path))
            {
                AddTarget(DependencyTarget(path));
            }
            // A whole directory of links came or went: every service may have changed its start type.
            return KnownPaths.ToList();
        }
        if (!_enablement.Roots.Contains(parent))
        {
            return [path];
        }
        // A unit here may be a mask of the units of its name elsewhere, or stop being one.
        _enablement.Invalidate();
        return [path, .. KnownPaths.Where(p => string.Equals(Path.GetFileName(p), name, StringComparison.Ordinal))];
    }

    /// <summary>A link named <paramref name="link"/> enables <paramref name="unit"/> (itself, or its template).</summary>
    private static bool Enables(string link, string unit)
    {
        if (string.Equals(link, unit, StringComparison.Ordinal))
        {
            return true;
        }
        var at = unit.IndexOf("@.", StringComparison.Ordinal);
        return at > 0 && link.StartsWith(unit[..(at + 1)], StringComparison.Ordinal) && link.EndsWith(unit[(at + 1)..], StringComparison.Ordinal);
    }

    protected override IReadOnlyList<ServiceConfig> Parse(SensorContext context, string path)
    {
        var name = Path.GetFileName(path);
        if (!IsServiceName(name) || !_unitDirectories.Contains(Path.GetDirectoryName(path) ?? ""))
        {
            return [];
        }
        var info = new FileInfo(path);
        var link = info.LinkTarget;
        if (link == "/dev/null")
        {
            // A mask is a service configuration of its own: "this service must never start".
            return [new ServiceConfig { Name = name, StartType = "masked", SourceFile = path }];
        }
        var text = ReadText(path, SystemdUnitFile.MaxBytes);
        if (text is null)
        {
            return [];
        }
        var unit = SystemdUnitFile.Parse(text);
        var exec = unit.Values("Service", "ExecStart").FirstOrDefault() is { } first ? SystemdUnitFile.Command(first) : "";
        var service = new ServiceConfig
        {
            Name = name,
            ServiceType = ServiceType(unit, exec),
            ExecPath = exec,
            User = ServiceAccount.Of(context, _passwd, unit, name),
            DisplayName = unit.Last("Unit", "Description"),
            StartType = link is not null && Path.GetFileName(link) != name ? "alias" : StartType(unit, name),
            SourceFile = path,
        };
        service.Dependencies.AddRange(unit.Words("Unit", "Requires", "Requisite", "Wants", "BindsTo", "After"));
        return [service];
    }

    private string StartType(SystemdUnitFile unit, string name) =>
        _enablement.StateOf(name) ?? (InstallKeys.Any(k => unit.Values("Install", k).Count > 0) ? "disabled" : "static");

    /// <summary>Type= when set; otherwise what systemd assumes: "dbus" with BusName=, "simple" with ExecStart=, else "oneshot".</summary>
    private static string ServiceType(SystemdUnitFile unit, string exec) =>
        unit.Last("Service", "Type") is { Length: > 0 } type ? type
        : unit.Last("Service", "BusName").Length > 0 ? "dbus"
        : exec.Length > 0 ? "simple"
        : "oneshot";

    protected override bool SameContent(ServiceConfig a, ServiceConfig b) => a.Equals(b);

    /// <summary>One service per unit file: the file is the identity.</summary>
    protected override IReadOnlyList<Func<ServiceConfig, ServiceConfig, bool>> Pairings { get; } = [(a, b) => a.SourceFile == b.SourceFile];

    protected override Event ToEvent(SensorContext context, ChangeOperation operation, ServiceConfig item, ServiceConfig? previous)
    {
        var payload = new ServiceChangeEvent { Operation = operation, Service = item };
        if (previous is not null)
        {
            payload.Previous = previous;
        }
        return new Event { Type = EventType.ServiceChange, TimeUs = context.NowUs(), ServiceChange = payload };
    }
}
