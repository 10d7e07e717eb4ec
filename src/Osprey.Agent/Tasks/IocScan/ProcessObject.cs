using Osprey.Agent.Sensors.Processes;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Tasks.IocScan;

/// <summary>ProcessItem: a running process as the agent's process table reads it from /proc.</summary>
internal sealed class ProcessObject(ProcessInfo process, string? userName) : ScanObject
{
    public override string Document => "ProcessItem";

    public ProcessInfo Process => process;

    protected override IReadOnlyList<string>? Term(string term) => term switch
    {
        "name" => One(process.Name),
        "path" => One(process.ExePath),
        // As IOC tools on other systems report it: the whole command line, so patterns written for them still apply.
        "arguments" => One(process.CommandLine),
        "pid" => One(process.Pid),
        "parentpid" => One(process.ParentPid),
        "uniquepid" => One(process.UniquePid),
        "username" => One(userName),
        "starttime" => Time(process.StartTimeUs),
        _ => null,
    };

    public override IocObject ToProto() => new()
    {
        Process = new ProcessItem
        {
            Name = process.Name,
            Arguments = process.CommandLine,
            Path = process.ExePath ?? "",
            Pid = process.Pid,
            ParentPid = process.ParentPid,
            UserName = userName ?? "",
            StartTimeUs = process.StartTimeUs,
            UniquePid = process.UniquePid,
        },
    };
}
