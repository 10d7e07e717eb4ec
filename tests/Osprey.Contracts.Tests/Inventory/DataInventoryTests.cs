using Osprey.Contracts.Inventory;
using Xunit;

namespace Osprey.Contracts.Tests.Inventory;

public sealed class DataInventoryTests
{
    private static readonly string CommittedPath = Path.Combine(RepositoryRoot.Path, "docs", "data-inventory.md");

    [Fact]
    public void Inventory_CommittedFile_IsCurrent()
    {
        Assert.True(File.Exists(CommittedPath), $"{CommittedPath} is missing: run `{DataInventory.Command}` to generate it.");
        var committed = File.ReadAllText(CommittedPath).ReplaceLineEndings("\n");
        var generated = DataInventory.Generate();

        Assert.True(
            committed == generated,
            $"docs/data-inventory.md does not match the schema (first difference at line {FirstDifferentLine(committed, generated)}): "
            + $"run `{DataInventory.Command}` and commit the result.");
    }

    [Fact]
    public void Generate_CalledTwice_GivesTheSameText()
    {
        Assert.Equal(DataInventory.Generate(), DataInventory.Generate());
    }

    [Fact]
    public void Generate_ListsEverySectionInOrder()
    {
        var text = DataInventory.Generate();

        var positions = InventorySection.All.Select(section => text.IndexOf($"\n## {section.Heading}\n", StringComparison.Ordinal)).ToList();

        Assert.All(positions, position => Assert.True(position > 0));
        Assert.Equal(positions.Order(), positions);
    }

    [Fact]
    public void Generate_HasNoUnclassifiedItems()
    {
        Assert.DoesNotContain("UNCLASSIFIED", DataInventory.Generate(), StringComparison.Ordinal);
    }

    [Fact]
    public void Generate_StoredOnEndpoint_ListsTheCryptoContainerSecretsAsConfidential()
    {
        var text = DataInventory.Generate();
        var section = text[text.IndexOf("\n## Stored on the endpoint\n", StringComparison.Ordinal)..text.IndexOf("\n## Sent from the agent", StringComparison.Ordinal)];

        Assert.Contains("| `private_key` | bytes | confidential |", section, StringComparison.Ordinal);
        Assert.Contains("| `run_as_secrets[].password` | bytes | confidential |", section, StringComparison.Ordinal);
    }

    private static int FirstDifferentLine(string expected, string actual)
    {
        var expectedLines = expected.Split('\n');
        var actualLines = actual.Split('\n');
        var common = Math.Min(expectedLines.Length, actualLines.Length);
        for (var i = 0; i < common; i++)
        {
            if (!string.Equals(expectedLines[i], actualLines[i], StringComparison.Ordinal))
            {
                return i + 1;
            }
        }
        return common + 1;
    }
}
