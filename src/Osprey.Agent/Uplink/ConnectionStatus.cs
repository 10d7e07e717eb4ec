using Osprey.Contracts.V1;

namespace Osprey.Agent.Uplink;

/// <summary>The uplink's state as status and sync report it: connection state, node in use, last certificate errors.</summary>
public sealed class ConnectionStatus(TimeProvider time)
{
    private const int MaxCertificateErrors = 10;
    private readonly Lock _lock = new();
    private readonly LinkedList<CertificateError> _certificateErrors = new();

    public string State { get; private set; } = "starting";

    public string? NodeInUse { get; private set; }

    public long LastContactUs { get; private set; }

    public string? LastError { get; private set; }

    public void Connected(string node)
    {
        lock (_lock)
        {
            (State, NodeInUse, LastContactUs, LastError) = ("connected", node, Now(), null);
        }
    }

    public void Failed(string node, string error)
    {
        lock (_lock)
        {
            (State, LastError) = ("disconnected", $"{node}: {error}");
        }
    }

    /// <summary>A TLS certificate problem: "server" when the node failed the pin or chain, "client" when the node refused ours.</summary>
    public void CertificateFailed(string side, string node, string message)
    {
        lock (_lock)
        {
            State = "certificate-error";
            LastError = $"{node}: {message}";
            _certificateErrors.AddLast(new CertificateError { TimeUs = Now(), Side = side, NodeAddress = node, Message = message });
            while (_certificateErrors.Count > MaxCertificateErrors)
            {
                _certificateErrors.RemoveFirst();
            }
        }
    }

    public IReadOnlyList<CertificateError> CertificateErrors()
    {
        lock (_lock)
        {
            return [.. _certificateErrors.Select(e => e.Clone())];
        }
    }

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
}
