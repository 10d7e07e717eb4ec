namespace Osprey.Agent.Sensors.Network;

/// <summary>What the agent keeps of a DNS message: header, first question, and the addresses the answers resolve it to.</summary>
public sealed record DnsMessage
{
    public required ushort Id { get; init; }
    public required bool IsResponse { get; init; }
    public required int Opcode { get; init; }

    /// <summary>RCODE, with the upper bits from an EDNS OPT record when there is one.</summary>
    public required int ResponseCode { get; init; }

    /// <summary>The first question's name, lower case, without the final dot ("." for the root).</summary>
    public required string Name { get; init; }

    public required ushort QueryType { get; init; }

    /// <summary>A and AAAA answers for the name or a name it is an alias of (CNAME), in answer order.</summary>
    public IReadOnlyList<NetAddress> Addresses { get; init; } = [];

    /// <summary>The CNAME targets followed from the question's name.</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];

    /// <summary>True when the answer section ended before the count in the header said (a cut or forged message).</summary>
    public bool Incomplete { get; init; }
}
