using Osprey.Agent.Sensors.Hashing;
using Osprey.Agent.Sensors.Processes;

namespace Osprey.Agent.Tasks.IocScan;

/// <summary>What the files of one scan share: the hasher, the size bound, user names, and the counts reported.</summary>
internal sealed class FileScanContext(FileHasher hasher, UserDirectory users, long maxHashBytes, Action<string, string> error)
{
    private long _hashed;

    public FileHasher Hasher => hasher;

    public UserDirectory Users => users;

    public long MaxHashBytes => Math.Min(maxHashBytes, hasher.MaxBytes);

    public long Hashed => Interlocked.Read(ref _hashed);

    public void CountHashed() => Interlocked.Increment(ref _hashed);

    public void Error(string path, string message) => error(path, message);
}
