using Osprey.Agent.Forensics;
using Osprey.Agent.Sensors.Processes;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Tasks;

/// <summary>
/// "autoruns": the autorun points of the system (systemd units and timers, cron, at jobs, rc.local, init.d, shell
/// profiles, XDG autostart, ld.so.preload, kernel modules, udev rules, authorized_keys), or of one mounted under
/// another root, each with what it starts and the registering file's metadata and hashes.
/// </summary>
internal sealed class AutorunsExecutor : ITaskExecutor
{
    public string Type => "autoruns";

    public Task ExecuteAsync(TaskRun run, CancellationToken cancellationToken)
    {
        var p = run.Definition.Autoruns ?? new AutorunsParams();
        var unknown = p.Types_.Where(t => !AutorunCollector.Types.Contains(t)).ToList();
        if (unknown.Count > 0)
        {
            throw new TaskFailedException(22, $"unknown autorun type(s) {string.Join(", ", unknown)}; known: {string.Join(", ", AutorunCollector.Types.Order(StringComparer.Ordinal))}");
        }
        var root = p.Root.Length == 0 ? "/" : p.Root;
        if (!Path.IsPathFullyQualified(root) || !Directory.Exists(root))
        {
            throw new TaskFailedException(22, $"the root must be an absolute path to a directory, not '{p.Root}'");
        }
        root = Path.GetFullPath(root);
        var users = root == "/" ? run.Services.Users : new UserDirectory(Path.Combine(root, "etc/passwd"), Path.Combine(root, "etc/group"));
        var collector = new AutorunCollector(
            root, run.Services.Hasher, run.Services.ProcessFacts, users, p.Hashes, p.Types_.ToHashSet(StringComparer.Ordinal),
            p.MaxEntries > 0 ? (int)Math.Min(p.MaxEntries, int.MaxValue) : AutorunCollector.DefaultMaxEntries);
        run.Report.Autoruns = collector.Collect(cancellationToken);
        return Task.CompletedTask;
    }
}
