using Osprey.Contracts.V1;

namespace Osprey.Contracts.Inventory;

/// <summary>A section of the data inventory: one data flow and the heading it is listed under.</summary>
public sealed record InventorySection(DataFlow Flow, string Heading)
{
    /// <summary>The sections in the order the inventory lists them.</summary>
    public static IReadOnlyList<InventorySection> All { get; } =
    [
        new(DataFlow.AgentStored, "Stored on the endpoint"),
        new(DataFlow.AgentToNode, "Sent from the agent to the Central Node"),
        new(DataFlow.NodeToAgent, "Sent from the Central Node to the agent"),
        new(DataFlow.NodeStored, "Stored by the Central Node"),
        new(DataFlow.NodeToNode, "Exchanged between Central Nodes"),
    ];
}
