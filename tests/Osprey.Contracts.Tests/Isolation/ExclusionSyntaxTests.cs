using Osprey.Contracts.Isolation;
using Osprey.Contracts.V1;
using Xunit;

namespace Osprey.Contracts.Tests.Isolation;

public sealed class ExclusionSyntaxTests
{
    [Fact]
    public void FullForm_IsParsedIntoEveryField()
    {
        var exclusion = ExclusionSyntax.Parse("dir=out, proto=TCP, addr=10.0.0.0/8, rport=443, lport=1024-65535, desc=proxy farm");
        Assert.Equal(TrafficDirection.Outbound, exclusion.Direction);
        Assert.Equal("tcp", exclusion.Protocol);
        Assert.Equal("10.0.0.0/8", exclusion.RemoteAddress);
        Assert.Equal(new PortRange { First = 443, Last = 443 }, exclusion.RemotePorts);
        Assert.Equal(new PortRange { First = 1024, Last = 65535 }, exclusion.LocalPorts);
        Assert.Equal("proxy farm", exclusion.Description);
    }

    [Theory]
    [InlineData("dir=in,proto=tcp,lport=22,addr=192.0.2.7")]
    [InlineData("dir=both,proto=udp,addr=2001:db8::/48,rport=53")]
    [InlineData("dir=out,proto=icmp,addr=198.51.100.0/24")]
    [InlineData("dir=out,proto=any,rport=8000-8100")]
    public void Format_ReadsBackToTheSameExclusion(string text)
    {
        var exclusion = ExclusionSyntax.Parse(text);
        Assert.Equal(exclusion, ExclusionSyntax.Parse(ExclusionSyntax.Format(exclusion)));
    }

    [Theory]
    [InlineData("proto=tcp,addr=192.0.2.7", "names no direction")]
    [InlineData("dir=sideways,addr=192.0.2.7", "dir 'sideways' is not in, out or both")]
    [InlineData("dir=out,addr=192.0.2.7,addr=192.0.2.8", "'addr' is given twice")]
    [InlineData("dir=out,host=192.0.2.7", "unknown key 'host'")]
    [InlineData("dir=out,192.0.2.7", "is not key=value")]
    [InlineData("dir=out,proto=tcp,addr=192.0.2.0/33", "between 0 and 32")]
    [InlineData("dir=out,proto=tcp,addr=10.1.2.3/8", "did you mean 10.0.0.0/8")]
    [InlineData("dir=out,proto=tcp,addr=192.0.2.7,rport=0", "not a port")]
    [InlineData("dir=out,proto=tcp,addr=192.0.2.7,rport=65536", "not a port")]
    [InlineData("dir=out,proto=tcp,addr=192.0.2.7,rport=http", "not a port")]
    [InlineData("dir=out,proto=tcp,addr=192.0.2.7,lport=90-80", "ends before it starts")]
    [InlineData("dir=out,proto=tcp,addr=192.0.2.7,lport=1-2-3", "not a port")]
    [InlineData("dir=out,proto=gre,addr=192.0.2.7", "is not tcp, udp, icmp or any")]
    [InlineData("dir=out,proto=icmp,addr=192.0.2.7,rport=7", "icmp has no ports")]
    [InlineData("dir=both", "isolation would do nothing")]
    public void BadSpec_IsRefusedSayingWhat(string text, string message)
    {
        var error = Assert.Throws<FormatException>(() => ExclusionSyntax.Parse(text));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
