using System.Net;
using Osprey.Agent.Response.Isolation;
using Osprey.Contracts.Isolation;
using Osprey.Contracts.V1;
using Osprey.Testing.Network;
using Xunit;

namespace Osprey.Agent.Tests.Response.Isolation;

public sealed class NftRulesetTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly IsolationPlan Plan = new(
        [new NodeEndpoint(IPAddress.Parse("192.0.2.10"), 8443), new NodeEndpoint(IPAddress.Parse("2001:db8::10"), 8443), new NodeEndpoint(IPAddress.Parse("192.0.2.20"), 3128)],
        [IPAddress.Parse("192.0.2.53")],
        [
            Rule("dir=out,proto=tcp,addr=10.0.0.0/8,rport=443"),
            Rule("dir=in,proto=tcp,addr=2001:db8:1::/48,lport=22"),
            Rule("dir=both,proto=udp,rport=5000-5010,lport=6000"),
            Rule("dir=out,proto=icmp,addr=198.51.100.7"),
            Rule("dir=out,proto=any,addr=203.0.113.0/24"),
            Rule("dir=out,proto=any,rport=9000"),
        ]);

    [Fact]
    public void Apply_ReplacesTheTableWhole_WithDropPolicies()
    {
        var script = NftRuleset.Apply(Plan);
        Assert.StartsWith("table inet osprey_isolation\ndelete table inet osprey_isolation\ntable inet osprey_isolation {", script, StringComparison.Ordinal);
        Assert.Contains("chain input {\n\t\ttype filter hook input priority -10; policy drop;\n\t\tiif \"lo\" accept", script, StringComparison.Ordinal);
        Assert.Contains("chain output {\n\t\ttype filter hook output priority -10; policy drop;\n\t\toif \"lo\" accept", script, StringComparison.Ordinal);
        Assert.Contains("chain forward {\n\t\ttype filter hook forward priority -10; policy drop;\n\t}", script, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_AllowsEveryNodeEndpoint_AndOnlyRepliesFromIt()
    {
        var (input, output) = Chains(NftRuleset.Apply(Plan));
        Assert.Contains("ip daddr 192.0.2.10 tcp dport 8443 accept", output);
        Assert.Contains("ip saddr 192.0.2.10 tcp sport 8443 accept", input);
        Assert.Contains("ip6 daddr 2001:db8::10 tcp dport 8443 accept", output);
        Assert.Contains("ip6 saddr 2001:db8::10 tcp sport 8443 accept", input);
        Assert.Contains("ip daddr 192.0.2.20 tcp dport 3128 accept", output);
        Assert.Contains("ip daddr 192.0.2.53 meta l4proto { tcp, udp } th dport 53 accept", output);
        Assert.Contains("ip saddr 192.0.2.53 meta l4proto { tcp, udp } th sport 53 ct state established accept", input);
        // Nothing accepts established traffic in general: connections open before isolation are cut.
        Assert.DoesNotContain(input.Concat(output), r => r.StartsWith("ct state established", StringComparison.Ordinal));
    }

    [Fact]
    public void Apply_TurnsEachExclusionIntoItsDirectionAndReplies()
    {
        var (input, output) = Chains(NftRuleset.Apply(Plan));
        Assert.Contains("ip daddr 10.0.0.0/8 meta l4proto tcp th dport 443 accept", output);
        Assert.Contains("ip saddr 10.0.0.0/8 meta l4proto tcp th sport 443 ct state established,related accept", input);
        Assert.Contains("ip6 saddr 2001:db8:1::/48 meta l4proto tcp th dport 22 accept", input);
        Assert.Contains("ip6 daddr 2001:db8:1::/48 meta l4proto tcp th sport 22 ct state established,related accept", output);
        Assert.Contains("meta l4proto udp th sport 6000 th dport 5000-5010 accept", output);
        Assert.Contains("meta l4proto udp th dport 6000 th sport 5000-5010 accept", input);
        Assert.Contains("ip daddr 198.51.100.7 meta l4proto icmp accept", output);
        Assert.Contains("ip daddr 203.0.113.0/24 accept", output);
        Assert.Contains("meta l4proto { tcp, udp } th dport 9000 accept", output);
    }

    [Fact]
    public void Remove_DeletesOnlyOspreysTable()
    {
        Assert.Equal("table inet osprey_isolation\ndelete table inet osprey_isolation\n", NftRuleset.Remove());
    }

    /// <summary>The real nft and kernel accept the script, inside a namespace of the test's own, and remove it again.</summary>
    [Fact]
    public async Task Apply_IsAcceptedByTheKernel_InATestNamespace()
    {
        await using var network = await TestNetwork.CreateAsync(0, Ct);
        var nft = new Nft(network.NftWrapper);

        await nft.ApplyAsync(NftRuleset.Apply(Plan), Ct);
        var listing = await network.ListTableAsync("inet", "osprey_isolation", Ct);
        Assert.NotNull(listing);
        Assert.Contains("ip daddr 10.0.0.0/8 tcp dport 443 accept", listing, StringComparison.Ordinal);
        Assert.Contains("policy drop", listing, StringComparison.Ordinal);

        // Applied twice: replaced, not appended.
        await nft.ApplyAsync(NftRuleset.Apply(Plan), Ct);
        var again = await network.ListTableAsync("inet", "osprey_isolation", Ct);
        Assert.Equal(listing, again);

        await nft.ApplyAsync(NftRuleset.Remove(), Ct);
        Assert.Null(await network.ListTableAsync("inet", "osprey_isolation", Ct));
        await nft.ApplyAsync(NftRuleset.Remove(), Ct); // nothing there: no error
    }

    [Fact]
    public async Task RefusedScript_LeavesTheRulesetInForceUntouched()
    {
        await using var network = await TestNetwork.CreateAsync(0, Ct);
        var nft = new Nft(network.NftWrapper);
        await nft.ApplyAsync(NftRuleset.Apply(Plan), Ct);
        var before = await network.ListTableAsync("inet", "osprey_isolation", Ct);

        // A script that replaces the table and then fails half-way is refused whole by the kernel's transaction.
        var broken = NftRuleset.Apply(Plan with { Nodes = [] }).Replace("oif \"lo\" accept", "oif \"lo\" accept\n\t\tip daddr 10.0.0.0/40 accept", StringComparison.Ordinal);
        var error = await Assert.ThrowsAsync<IsolationException>(() => nft.ApplyAsync(broken, Ct));
        Assert.Contains("nft refused the ruleset", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, await network.ListTableAsync("inet", "osprey_isolation", Ct));
    }

    private static ExclusionRule Rule(string text) => ExclusionRule.From(ExclusionSyntax.Parse(text)).Rule!;

    private static (List<string> Input, List<string> Output) Chains(string script)
    {
        List<string> Chain(string name)
        {
            var start = script.IndexOf($"chain {name} {{", StringComparison.Ordinal);
            var end = script.IndexOf("\t}", start, StringComparison.Ordinal);
            return [.. script[start..end].Split('\n').Skip(2).Select(l => l.Trim()).Where(l => l.Length > 0)];
        }
        return (Chain("input"), Chain("output"));
    }
}
