using Osprey.Contracts.Security;
using System.Security.Cryptography;
using System.Text;
using Osprey.Node.Configuration;
using Osprey.Node.Hosting;
using Osprey.Node.Security;
using Osprey.Testing.Paths;

namespace Osprey.Node.Tests.Security;

public sealed class SecretsAtRestTests
{
    [Fact]
    public void Init_StoresKeysSealedAndOwnerOnly()
    {
        using var dir = new TempDirectory();
        var data = Path.Combine(dir.Path, "node");
        var result = NodeInitializer.Initialize(data, "127.0.0.1:18999", NodeRole.Standalone, TimeProvider.System);
        var paths = new NodePaths(data);

        Assert.Matches("^[0-9a-f]{64}$", result.Pin);
        foreach (var file in new[] { paths.SecretKey, paths.CaKey, paths.ServerKey })
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }
        var sealedKey = File.ReadAllBytes(paths.CaKey);
        Assert.DoesNotContain("PRIVATE KEY", Encoding.ASCII.GetString(sealedKey), StringComparison.Ordinal);
        Assert.Throws<CryptographicException>(() => ECDsa.Create().ImportPkcs8PrivateKey(sealedKey, out _));
    }

    [Fact]
    public void SecretBox_DetectsTampering()
    {
        using var dir = new TempDirectory();
        var box = SecretBox.CreateKeyFile(Path.Combine(dir.Path, "k"));
        var sealedData = box.Seal("hunter2"u8, "label"u8);
        sealedData[^1] ^= 1;

        Assert.ThrowsAny<CryptographicException>(() => box.Open(sealedData, "label"u8));
        Assert.ThrowsAny<CryptographicException>(() => box.Open(box.Seal("x"u8, "label"u8), "other"u8));
    }

    [Fact]
    public void Init_IntoAnExistingNode_IsRefused()
    {
        using var dir = new TempDirectory();
        NodeInitializer.Initialize(dir.Path, "127.0.0.1:18998", NodeRole.Standalone, TimeProvider.System);

        var e = Assert.Throws<NodeConfigurationException>(() => NodeInitializer.Initialize(dir.Path, "127.0.0.1:18998", NodeRole.Standalone, TimeProvider.System));
        Assert.Contains("already holds a node", e.Message, StringComparison.Ordinal);
    }
}
