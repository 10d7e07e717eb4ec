namespace Osprey.Agent.ServiceManagement;

/// <summary>The service manager is missing or refused an action; <see cref="Code"/> is an errno or systemctl's exit status.</summary>
internal sealed class ServiceManagerException(int code, string message) : Exception(message)
{
    public int Code { get; } = code;
}
