namespace Osprey.Agent.Sensors.HostState;

/// <summary>A failed authentication found in the authentication log.</summary>
public sealed record AuthLogEntry(
    long TimeUs, string Service, int Pid, string User, string RemoteIp, int RemotePort, string LogonType, string FailureReason, string Tty);
