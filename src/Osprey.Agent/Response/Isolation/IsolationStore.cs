using Google.Protobuf;
using Osprey.Contracts.Security;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Response.Isolation;

/// <summary>
/// The isolation in force, kept in the state directory (<c>isolation.pb</c>, an <see cref="IsolationSettings"/> message)
/// so it is applied again after a restart or reboot. Replaced atomically (temporary file, fsync, rename).
/// </summary>
internal sealed class IsolationStore(string path)
{
    /// <summary>The stored settings; inactive ones when there is no file. Throws <see cref="IsolationException"/> when the file cannot be read.</summary>
    public IsolationSettings Load()
    {
        try
        {
            return File.Exists(path) ? IsolationSettings.Parser.ParseFrom(File.ReadAllBytes(path)) : new IsolationSettings();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidProtocolBufferException)
        {
            throw new IsolationException($"the isolation state {path} cannot be read: {e.Message}", e);
        }
    }

    public void Save(IsolationSettings settings)
    {
        try
        {
            SecureFile.WriteAllBytes(path, settings.ToByteArray());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IsolationException($"the isolation state {path} cannot be written: {e.Message}", e);
        }
    }
}
