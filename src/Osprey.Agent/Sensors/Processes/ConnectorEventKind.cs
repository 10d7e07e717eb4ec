namespace Osprey.Agent.Sensors.Processes;

/// <summary>What a message from the proc connector reader to the enrichment thread reports.</summary>
internal enum ConnectorEventKind : byte
{
    Fork,
    Exec,
    Exit,
    CredentialsChanged,
    SessionChanged,
    Loss,

    /// <summary>Sent once at start to compile the queue path; ignored.</summary>
    WarmUp,
}
