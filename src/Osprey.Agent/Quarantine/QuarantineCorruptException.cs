namespace Osprey.Agent.Quarantine;

/// <summary>An entry file does not open: damaged, truncated, changed by someone without the key, or sealed under another key.</summary>
internal sealed class QuarantineCorruptException(string path, string reason, Exception? inner = null)
    : QuarantineException(Corrupt, $"the quarantine entry {path} is damaged: {reason}", inner)
{
    public string EntryPath { get; } = path;
}
