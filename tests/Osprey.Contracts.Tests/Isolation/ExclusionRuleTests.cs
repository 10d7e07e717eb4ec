using System.Net;
using Osprey.Contracts.Isolation;
using Osprey.Contracts.V1;
using Xunit;

namespace Osprey.Contracts.Tests.Isolation;

public sealed class ExclusionRuleTests
{
    [Theory]
    [InlineData("10.0.0.0/8", "10.0.0.0/8")]
    [InlineData("192.0.2.7", "192.0.2.7/32")]
    [InlineData("2001:db8::/32", "2001:db8::/32")]
    [InlineData("2001:DB8::1", "2001:db8::1/128")]
    [InlineData("::ffff:192.0.2.0/120", "192.0.2.0/24")] // IPv4-mapped: the IPv4 block it means
    [InlineData("0.0.0.0/0", "0.0.0.0/0")]
    public void Address_IsParsedToItsNetwork(string text, string expected)
    {
        var (network, problem) = ExclusionRule.ParseNetwork(text);
        Assert.Null(problem);
        Assert.Equal(IPNetwork.Parse(expected), network);
    }

    [Theory]
    [InlineData("10.0.0.1/8", "did you mean 10.0.0.0/8")]
    [InlineData("10.0.0.0/33", "between 0 and 32")]
    [InlineData("2001:db8::/129", "between 0 and 128")]
    [InlineData("10.0.0.0/", "no valid prefix")]
    [InlineData("10.0.0.0/-1", "no valid prefix")]
    [InlineData("10.0.0.0/8/8", "no valid prefix")]
    [InlineData("10.1", "is not an IP address")] // inet_aton shorthand an operator did not mean
    [InlineData("0x0a.0.0.1", "is not an IP address")]
    [InlineData("300.0.0.1", "is not an IP address")]
    [InlineData("example.com", "is not an IP address")]
    [InlineData("fe80::1%eth0", "is not an IP address")]
    [InlineData("10.0.0.0 /8", "is not an IP address")]
    [InlineData("1.2.3.4; flush ruleset", "is not an IP address")]
    public void BadAddress_IsRefusedSayingWhy(string text, string message)
    {
        var (_, problem) = ExclusionRule.ParseNetwork(text);
        Assert.NotNull(problem);
        Assert.Contains(message, problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0u, 10u, "outside 1-65535")]
    [InlineData(1u, 65536u, "outside 1-65535")]
    [InlineData(70000u, 70000u, "outside 1-65535")]
    [InlineData(443u, 80u, "ends before it starts")]
    public void BadPorts_AreRefused(uint first, uint last, string message)
    {
        var exclusion = Tcp("192.0.2.7");
        exclusion.RemotePorts = new PortRange { First = first, Last = last };
        var (_, problem) = ExclusionRule.From(exclusion);
        Assert.Contains("remote port", problem, StringComparison.Ordinal);
        Assert.Contains(message, problem, StringComparison.Ordinal);

        exclusion.RemotePorts = null;
        exclusion.LocalPorts = new PortRange { First = first, Last = last };
        Assert.Contains("local port", ExclusionRule.From(exclusion).Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Ports_SingleAndRangeAndAny()
    {
        var exclusion = Tcp("192.0.2.7");
        exclusion.RemotePorts = new PortRange { First = 443, Last = 443 };
        exclusion.LocalPorts = new PortRange { First = 1024, Last = 65535 };
        var rule = ExclusionRule.From(exclusion).Rule!;
        Assert.Equal((443, 443), rule.RemotePorts);
        Assert.Equal((1024, 65535), rule.LocalPorts);

        exclusion.RemotePorts = new PortRange(); // 0..0: any port
        exclusion.LocalPorts = null;
        rule = ExclusionRule.From(exclusion).Rule!;
        Assert.Null(rule.RemotePorts);
        Assert.Null(rule.LocalPorts);
    }

    [Theory]
    [InlineData(TrafficDirection.Unspecified, "tcp", "192.0.2.7", 0u, "direction must be in, out or both")]
    [InlineData(TrafficDirection.Outbound, "sctp", "192.0.2.7", 0u, "is not tcp, udp, icmp or any")]
    [InlineData(TrafficDirection.Outbound, "icmp", "192.0.2.7", 22u, "icmp has no ports")]
    [InlineData(TrafficDirection.Both, "any", "", 0u, "isolation would do nothing")]
    [InlineData(TrafficDirection.Both, "", "", 0u, "isolation would do nothing")]
    public void Exclusion_WithoutMeaning_IsRefused(TrafficDirection direction, string protocol, string address, uint port, string message)
    {
        var exclusion = new IsolationExclusion { Direction = direction, Protocol = protocol, RemoteAddress = address };
        if (port > 0)
        {
            exclusion.RemotePorts = new PortRange { First = port, Last = port };
        }
        var (rule, problem) = ExclusionRule.From(exclusion);
        Assert.Null(rule);
        Assert.Contains(message, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Params_NameTheBadExclusion_AndBoundTheirNumber()
    {
        var parameters = new IsolateParams { Exclusions = { Tcp("192.0.2.7"), Tcp("192.0.2.300") } };
        Assert.StartsWith("exclusion 2: ", ExclusionRule.From(parameters).Problem, StringComparison.Ordinal);

        var many = new IsolateParams();
        many.Exclusions.AddRange(Enumerable.Range(0, ExclusionRule.MaxPerTask + 1).Select(_ => Tcp("192.0.2.7")));
        Assert.Contains("at most 256", ExclusionRule.From(many).Problem, StringComparison.Ordinal);

        Assert.Contains("negative", ExclusionRule.From(new IsolateParams { ReleaseAtUs = -1 }).Problem, StringComparison.Ordinal);
        Assert.Null(ExclusionRule.From(new IsolateParams()).Problem);
    }

    private static IsolationExclusion Tcp(string address) =>
        new() { Direction = TrafficDirection.Outbound, Protocol = "tcp", RemoteAddress = address };
}
