using Xunit;
using System.Security.Cryptography;
using System.Text;
using Osprey.Contracts.Security;

namespace Osprey.Contracts.Tests.Security;

public sealed class AgentSealTests
{
    private static readonly byte[] Context = Encoding.UTF8.GetBytes("task-1");

    [Fact]
    public void SealedToAnAgent_OpensWithItsKeyOnly()
    {
        using var agent = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var sealedPassword = AgentSeal.Seal(agent.ExportParameters(false), "s3cret"u8, Context);

        Assert.Equal("s3cret", Encoding.UTF8.GetString(AgentSeal.Open(agent.ExportParameters(true), sealedPassword, Context)));
        Assert.DoesNotContain("s3cret", Encoding.Latin1.GetString(sealedPassword), StringComparison.Ordinal);
        Assert.ThrowsAny<CryptographicException>(() => AgentSeal.Open(other.ExportParameters(true), sealedPassword, Context));
        Assert.ThrowsAny<CryptographicException>(() => AgentSeal.Open(agent.ExportParameters(true), sealedPassword, "task-2"u8));
        sealedPassword[^1] ^= 1;
        Assert.ThrowsAny<CryptographicException>(() => AgentSeal.Open(agent.ExportParameters(true), sealedPassword, Context));
        Assert.ThrowsAny<CryptographicException>(() => AgentSeal.Open(agent.ExportParameters(true), sealedPassword.AsSpan(0, 20), Context));
    }
}
