namespace Osprey.Detection.OpenIoc;

/// <summary>An Indicator: AND or OR over IndicatorItems and nested Indicators.</summary>
public sealed class IocIndicator : IocNode
{
    internal IocIndicator(string id, int line, int ordinal, IocOperator @operator, IReadOnlyList<IocNode> children)
        : base(id, line, ordinal)
    {
        Operator = @operator;
        Children = children;
    }

    public IocOperator Operator { get; }

    /// <summary>Items and Indicators in document order; an empty AND holds, an empty OR does not.</summary>
    public IReadOnlyList<IocNode> Children { get; }

    /// <summary>Every IndicatorItem under this Indicator, depth first in document order.</summary>
    public IEnumerable<IocItem> Items()
    {
        var stack = new Stack<IocNode>();
        stack.Push(this);
        while (stack.TryPop(out var node))
        {
            if (node is IocItem item)
            {
                yield return item;
                continue;
            }
            var children = ((IocIndicator)node).Children;
            for (var i = children.Count - 1; i >= 0; i--)
            {
                stack.Push(children[i]);
            }
        }
    }
}
