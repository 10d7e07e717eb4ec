using Osprey.Contracts.V1;

namespace Osprey.Contracts.Inventory;

/// <summary>One row of the data inventory: a data item reached through a dotted field path.</summary>
/// <param name="Path">Field names joined by '.', with "[]" after repeated message fields.</param>
/// <param name="Type">Proto scalar or enum type, "repeated " prefixed for lists.</param>
/// <param name="Classification">The item's mark; null for rows that refer elsewhere.</param>
/// <param name="Note">Why a row is not expanded (a recursive or separately listed message).</param>
public readonly record struct InventoryItem(string Path, string Type, DataClass? Classification, string? Note);
