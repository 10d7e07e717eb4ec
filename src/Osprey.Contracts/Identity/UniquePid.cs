using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Osprey.Contracts.Identity;

/// <summary>
/// UniquePID: the first 128 bits of SHA-256(agent ID, boot ID, PID, start time in ticks) as 32 lowercase
/// hex digits. The same process always gets the same ID, also after the agent restarts; a reused PID does not.
/// </summary>
public static class UniquePid
{
    public static string Compute(string agentId, string bootId, int pid, long startTicks)
    {
        ArgumentNullException.ThrowIfNull(agentId);
        ArgumentNullException.ThrowIfNull(bootId);
        // Length-prefixed fields so ("ab", "c") and ("a", "bc") cannot collide.
        var agent = Encoding.UTF8.GetBytes(agentId);
        var boot = Encoding.UTF8.GetBytes(bootId);
        var input = new byte[4 + agent.Length + 4 + boot.Length + 4 + 8];
        var span = input.AsSpan();
        BinaryPrimitives.WriteInt32BigEndian(span, agent.Length);
        agent.CopyTo(span[4..]);
        span = span[(4 + agent.Length)..];
        BinaryPrimitives.WriteInt32BigEndian(span, boot.Length);
        boot.CopyTo(span[4..]);
        span = span[(4 + boot.Length)..];
        BinaryPrimitives.WriteInt32BigEndian(span, pid);
        BinaryPrimitives.WriteInt64BigEndian(span[4..], startTicks);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input, hash);
        return Convert.ToHexStringLower(hash[..16]);
    }
}
