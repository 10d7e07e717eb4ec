using Osprey.Agent.ServiceManagement;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Tasks;

/// <summary>
/// "service": start, stop, restart, enable or disable a unit and / or set its start type through systemd, reporting
/// its state and start type before and after. Start types: "automatic" enables (unmasking first), "manual" disables
/// (unmasking first), "disabled" disables and masks, so the unit cannot be started at all. The start type is set
/// before the action runs. A host without a running systemd fails the task with "no service manager on this host".
/// </summary>
internal sealed class ServiceExecutor(Systemd? systemd = null) : ITaskExecutor
{
    private readonly Systemd _systemd = systemd ?? new Systemd();

    public string Type => "service";

    public async Task ExecuteAsync(TaskRun run, CancellationToken cancellationToken)
    {
        var p = run.Definition.Service ?? throw new TaskFailedException(22, "the task has no service parameters");
        var unit = Systemd.UnitName(p.ServiceName)
            ?? throw new TaskFailedException(22, $"'{p.ServiceName}' is not a service, socket, timer or path unit name");
        var verbs = StartTypeVerbs(p.StartType);
        var action = p.Action switch
        {
            ServiceAction.Start => "start",
            ServiceAction.Stop => "stop",
            ServiceAction.Restart => "restart",
            ServiceAction.Enable => "enable",
            ServiceAction.Disable => "disable",
            ServiceAction.SetStartType or ServiceAction.Unspecified when p.StartType.Length > 0 => null,
            ServiceAction.SetStartType => throw new TaskFailedException(22, "set-start-type needs a start type: automatic, manual or disabled"),
            _ => throw new TaskFailedException(22, "name an action: start, stop, restart, enable, disable or set-start-type"),
        };
        if (action is not null)
        {
            verbs.Add(action);
        }
        try
        {
            var before = await _systemd.ShowAsync(unit, cancellationToken).ConfigureAwait(false);
            if (!before.Exists)
            {
                throw new ServiceManagerException(2, $"there is no unit {unit} on this host"); // ENOENT
            }
            var result = new ServiceResult { ServiceName = unit, StateBefore = before.ActiveState, StartTypeBefore = before.StartType };
            run.Report.Service = result;
            ServiceManagerException? failed = null;
            foreach (var verb in verbs)
            {
                if (verb == "unmask" && before.StartType != "disabled")
                {
                    continue;
                }
                try
                {
                    await _systemd.RunVerbAsync(verb, unit, cancellationToken).ConfigureAwait(false);
                }
                catch (ServiceManagerException e)
                {
                    failed = e;
                    break;
                }
            }
            var after = await _systemd.ShowAsync(unit, cancellationToken).ConfigureAwait(false);
            (result.State, result.StartType) = (after.ActiveState, after.StartType);
            if (failed is not null)
            {
                result.Error = new ObjectError { ObjectName = unit, Code = failed.Code, Message = failed.Message };
                throw failed;
            }
        }
        catch (ServiceManagerException e)
        {
            throw new TaskFailedException(e.Code, e.Message);
        }
    }

    /// <summary>The systemctl verbs that give the unit a start type (none for an empty one).</summary>
    private static List<string> StartTypeVerbs(string startType) => startType switch
    {
        "" => [],
        "automatic" => ["unmask", "enable"],
        "manual" => ["unmask", "disable"],
        "disabled" => ["disable", "mask"],
        _ => throw new TaskFailedException(22, $"start type '{startType}' is not automatic, manual or disabled"),
    };
}
