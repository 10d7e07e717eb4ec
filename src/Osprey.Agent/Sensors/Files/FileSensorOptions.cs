namespace Osprey.Agent.Sensors.Files;

/// <summary>Tuning of the file sensor beyond the paths in <c>AgentOptions.Files</c>; the defaults suit a server or workstation.</summary>
public sealed record FileSensorOptions
{
    /// <summary>Drop changes made by the agent's own process (its outbox, logs, quarantine moves are reported elsewhere).</summary>
    public bool IgnoreOwnProcess { get; init; } = true;

    /// <summary>A file written and closed again and again is reported at most once per window (the last state, hashed).</summary>
    public TimeSpan CoalesceWindow { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a new file's create event waits for its first close-after-write, so the event carries the hash of
    /// the content written; a file still open after this is reported without hashes (a FileModify follows on close).
    /// </summary>
    public TimeSpan CreateHold { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Bytes per second the sensor may read to hash written files (about a tenth of a core for MD5 and SHA-256 together);
    /// beyond it events go out without hashes.
    /// </summary>
    public long HashBytesPerSecond { get; init; } = 32L << 20;

    /// <summary>Files waiting for their hash (coalescing, create hold); when full the oldest is reported at once.</summary>
    public int MaxPendingFiles { get; init; } = 4096;

    /// <summary>Changes between the kernel reader and the processor; when full the reader waits and the kernel queue buffers.</summary>
    public int QueueCapacity { get; init; } = 8192;

    /// <summary>Directory paths remembered by file handle.</summary>
    public int DirectoryCacheEntries { get; init; } = 8192;

    /// <summary>Files remembered (last status, last hash time) for delete metadata and coalescing.</summary>
    public int KnownFiles { get; init; } = 16_384;

    /// <summary>Holds the reader back after start-up; tests use it to make the kernel's queue overflow.</summary>
    internal TimeSpan ReadDelay { get; init; }

    /// <summary>Problems with these settings, one sentence each; empty when they are usable.</summary>
    public List<string> Validate()
    {
        var problems = new List<string>();
        if (CoalesceWindow < TimeSpan.Zero || CoalesceWindow > TimeSpan.FromMinutes(10))
        {
            problems.Add("fileSensor.coalesceWindow must be between 0 and 10 minutes");
        }
        if (CreateHold < TimeSpan.Zero || CreateHold > TimeSpan.FromMinutes(10))
        {
            problems.Add("fileSensor.createHold must be between 0 and 10 minutes");
        }
        if (HashBytesPerSecond < 0)
        {
            problems.Add("fileSensor.hashBytesPerSecond must not be negative");
        }
        Positive(problems, "fileSensor.maxPendingFiles", MaxPendingFiles);
        Positive(problems, "fileSensor.queueCapacity", QueueCapacity);
        Positive(problems, "fileSensor.directoryCacheEntries", DirectoryCacheEntries);
        Positive(problems, "fileSensor.knownFiles", KnownFiles);
        return problems;
    }

    private static void Positive(List<string> problems, string name, int value)
    {
        if (value is < 1 or > 1 << 20)
        {
            problems.Add($"{name} is {value}; it must be between 1 and {1 << 20}");
        }
    }
}
