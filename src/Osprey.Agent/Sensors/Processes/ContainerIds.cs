using System.Text;

namespace Osprey.Agent.Sensors.Processes;

/// <summary>
/// Finds the container a process runs in from /proc/PID/cgroup: Docker, containerd, CRI-O, Podman and Kubernetes all
/// name the container's cgroup after its 64-hex-digit ID ("docker-ID.scope", "/docker/ID", "cri-containerd-ID.scope",
/// "libpod-ID.scope", "crio-ID.scope", "/kubepods/…/ID").
/// </summary>
internal static class ContainerIds
{
    private const int IdLength = 64;

    /// <summary>The container ID in the cgroup file's text, or empty for a process on the host.</summary>
    public static string Find(ReadOnlySpan<byte> cgroup)
    {
        var run = 0;
        for (var i = 0; i <= cgroup.Length; i++)
        {
            var c = i < cgroup.Length ? cgroup[i] : (byte)'\n';
            if (char.IsAsciiHexDigitLower((char)c))
            {
                run++;
                continue;
            }
            if (run == IdLength && IsBoundary(c) && i - IdLength > 0 && IsStart(cgroup[i - IdLength - 1]))
            {
                return Encoding.ASCII.GetString(cgroup.Slice(i - IdLength, IdLength));
            }
            run = 0;
        }
        return "";
    }

    private static bool IsStart(byte c) => c is (byte)'/' or (byte)'-' or (byte)':';

    private static bool IsBoundary(byte c) => c is (byte)'.' or (byte)'/' or (byte)'\n';
}
