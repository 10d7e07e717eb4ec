namespace Osprey.Agent.Configuration;

/// <summary>The files of the agent's state directory (root-only, mode 0700).</summary>
public sealed record StatePaths(string Directory)
{
    public const string DefaultDirectory = "/var/lib/osprey-agent";

    public string Options => Path.Combine(Directory, "agent.json");

    /// <summary>The 32-byte key of the crypto container (mode 0600).</summary>
    public string SecretKey => Path.Combine(Directory, "secret.key");

    /// <summary>The crypto container: client certificate and key, proxy password, run-as passwords (AES-256-GCM).</summary>
    public string Secrets => Path.Combine(Directory, "secrets.sealed");

    public string Outbox => Path.Combine(Directory, "outbox.db");

    /// <summary>Written by <c>run</c> every few seconds, read by <c>status</c>.</summary>
    public string Status => Path.Combine(Directory, "status.json");

    /// <summary>Present while <c>run</c> is running; found at start-up it means the last run did not stop cleanly.</summary>
    public string RunMarker => Path.Combine(Directory, "run.marker");

    /// <summary>Why the last run ended, when the agent ended it itself (watchdog, fatal error).</summary>
    public string LastExit => Path.Combine(Directory, "last-exit.json");

    public string Sensors => Path.Combine(Directory, "sensors");

    /// <summary>The prevention rule set last applied (a PreventionPolicy message), enforced again at start-up.</summary>
    public string PreventionPolicy => Path.Combine(Directory, "prevention.pb");
    /// <summary>Encrypted quarantine entries, one file each (docs/quarantine.md).</summary>
    public string Quarantine => Path.Combine(Directory, "quarantine");

    /// <summary>Memory dumps and images written by tasks before they are uploaded (removed after; emptied at start).</summary>
    public string Spool => Path.Combine(Directory, "spool");
    /// <summary>The network isolation in force (an IsolationSettings message), applied again at every start.</summary>
    public string Isolation => Path.Combine(Directory, "isolation.pb");
}
