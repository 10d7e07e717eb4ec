namespace Osprey.Agent.Sensors.HostState;

/// <summary>ut_type values of utmp(5).</summary>
public enum UtmpType : short
{
    Empty = 0,
    RunLevel = 1,
    BootTime = 2,
    NewTime = 3,
    OldTime = 4,
    InitProcess = 5,
    LoginProcess = 6,
    UserProcess = 7,
    DeadProcess = 8,
    Accounting = 9,
}
