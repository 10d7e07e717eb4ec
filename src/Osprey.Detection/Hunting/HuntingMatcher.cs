using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Osprey.Detection.Hunting;

/// <summary>
/// A hunting query evaluated on one event in memory, with the same result the compiled SQL gives on the stored event:
/// custom detection rules run on the live stream with it, and hunting finds the same events afterwards.
/// </summary>
/// <remarks>
/// The query is checked by <see cref="HuntingQueryCompiler"/> first, so a query is accepted here exactly when hunting
/// accepts it, with the same errors. The semantics follow README.md: text compares ignoring ASCII case (SQLite's
/// NOCASE and LIKE), a missing text reads as the empty string, a missing number or boolean matches nothing unless its
/// payload declares it (then it reads as 0 or false), and a list matches when one element does. Thread-safe.
/// </remarks>
public sealed class HuntingMatcher
{
    private readonly Func<IHuntingRecord, bool> _predicate;

    private HuntingMatcher(string query, Func<IHuntingRecord, bool> predicate)
    {
        Query = query;
        _predicate = predicate;
    }

    /// <summary>The query in canonical form (<see cref="HuntingQueryFormatter"/>).</summary>
    public string Query { get; }

    /// <summary>Parses and checks <paramref name="query"/>; throws <see cref="HuntingQueryException"/> as hunting does.</summary>
    public static HuntingMatcher Compile(string query, IHuntingSchema? schema = null)
    {
        schema ??= EventsSchema.Default;
        var tree = HuntingQueryParser.Parse(query);
        new HuntingQueryCompiler(schema, SqliteDialect.Instance).Compile(tree);
        return new HuntingMatcher(HuntingQueryFormatter.Format(tree), new Builder(schema).Build(tree, 0));
    }

    /// <summary>True when the event satisfies the query.</summary>
    public bool Matches(IHuntingRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return _predicate(record);
    }

    private sealed class Builder(IHuntingSchema schema)
    {
        public Func<IHuntingRecord, bool> Build(HuntingExpression expression, int depth)
        {
            HuntingTree.CheckDepth(expression, depth);
            switch (expression)
            {
                case AndExpression or OrExpression:
                    var operands = HuntingTree.Flatten(expression).Select(o => Build(o, depth + 1)).ToArray();
                    return expression is AndExpression
                        ? r => Array.TrueForAll(operands, o => o(r))
                        : r => Array.Exists(operands, o => o(r));
                case NotExpression not:
                    var operand = Build(not.Operand, depth + 1);
                    return r => !operand(r);
                case ComparisonExpression comparison:
                    var condition = Comparison(comparison);
                    return comparison.Operator.IsNegated() ? r => !condition(r) : condition;
                case InExpression @in:
                    var membership = In(@in);
                    return @in.Negated ? r => !membership(r) : membership;
                default:
                    throw new ArgumentException("Unknown expression node " + expression.GetType().Name, nameof(expression));
            }
        }

        private HuntingField Resolve(FieldReference reference) =>
            schema.TryResolve(reference.Name, out var field) ? field : throw new HuntingQueryException(schema.ExplainUnresolved(reference.Name), reference.Position);

        private Func<IHuntingRecord, bool> Comparison(ComparisonExpression comparison)
        {
            var field = Resolve(comparison.Field);
            var positive = comparison.Operator.Positive();
            var value = new FieldValue(field);
            switch (field.Type)
            {
                case HuntingFieldType.String:
                    var text = Text(comparison.Value);
                    Func<string, bool> test = positive switch
                    {
                        ComparisonOperator.Equal => v => AsciiCase.Equal(v, text),
                        ComparisonOperator.Contains => v => AsciiCase.IndexOf(v, text) >= 0,
                        ComparisonOperator.StartsWith => v => v.Length >= text.Length && AsciiCase.Equal(v.AsSpan(0, text.Length), text),
                        _ => v => v.Length >= text.Length && AsciiCase.Equal(v.AsSpan(v.Length - text.Length), text),
                    };
                    return value.TextCondition(text.Length == 0, test);
                case HuntingFieldType.Boolean:
                    var flag = Boolean(comparison.Value) ? 1L : 0L;
                    return value.NumberCondition(v => v == flag);
                default:
                    var number = Integer(field, comparison.Value);
                    Func<long, bool> compare = positive switch
                    {
                        ComparisonOperator.Equal => v => v == number,
                        ComparisonOperator.GreaterThan => v => v > number,
                        ComparisonOperator.GreaterThanOrEqual => v => v >= number,
                        ComparisonOperator.LessThan => v => v < number,
                        _ => v => v <= number,
                    };
                    return value.NumberCondition(compare);
            }
        }

        private Func<IHuntingRecord, bool> In(InExpression @in)
        {
            var field = Resolve(@in.Field);
            var value = new FieldValue(field);
            if (field.Type == HuntingFieldType.String)
            {
                var texts = @in.Values.Select(Text).ToArray();
                var set = new HashSet<string>(texts, AsciiCase.Comparer);
                return value.TextCondition(texts.Any(t => t.Length == 0), set.Contains);
            }
            var numbers = @in.Values.Select(v => Integer(field, v)).ToHashSet();
            return value.NumberCondition(numbers.Contains);
        }

        // The compiler has checked every literal already; these only convert.
        private static string Text(HuntingLiteral literal) => literal switch
        {
            StringLiteral s => s.Value,
            IntegerLiteral i => i.Value.ToString(CultureInfo.InvariantCulture),
            _ => throw new ArgumentException("Unknown literal " + literal.GetType().Name, nameof(literal)),
        };

        private static long Integer(HuntingField field, HuntingLiteral literal) => literal switch
        {
            IntegerLiteral i => i.Value,
            StringLiteral s when field.Type == HuntingFieldType.Time && IsoTime.TryParseMicroseconds(s.Value, out var microseconds) => microseconds,
            StringLiteral s => long.Parse(s.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture),
            _ => throw new ArgumentException("Unknown literal " + literal.GetType().Name, nameof(literal)),
        };

        private static bool Boolean(HuntingLiteral literal) =>
            literal is IntegerLiteral { Value: 1 } || (literal is StringLiteral s && string.Equals(s.Value, "true", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>How one field's value is read from a record: a typed column, a payload path, or a payload list.</summary>
    private sealed class FieldValue(HuntingField field)
    {
        private readonly ConcurrentDictionary<MessageDescriptor, FieldDescriptor[]?> _paths = new();

        /// <summary>A text condition: a missing value reads as "" (matching when <paramref name="emptyMatches"/>); a list matches when an element does.</summary>
        public Func<IHuntingRecord, bool> TextCondition(bool emptyMatches, Func<string, bool> test)
        {
            if (field.IsList)
            {
                return r => Elements(r).Any(e => test(ElementText(e)));
            }
            return r => ScalarText(r) is { Length: > 0 } v ? test(v) : emptyMatches;
        }

        /// <summary>A number or boolean condition: a missing value matches nothing; a list matches when an element does.</summary>
        public Func<IHuntingRecord, bool> NumberCondition(Func<long, bool> test)
        {
            if (field.IsList)
            {
                return r => Elements(r).Any(e => ToNumber(e) is { } n && test(n));
            }
            return r => ScalarNumber(r) is { } v && test(v);
        }

        private string? ScalarText(IHuntingRecord r)
        {
            if (!field.IsJson)
            {
                return r.Column(field.Column!) as string;
            }
            var (leaf, owner, declared) = Walk(r);
            if (!declared || owner is null)
            {
                return null;
            }
            var value = leaf!.Accessor.GetValue(owner);
            return leaf.FieldType == FieldType.Enum ? EnumText(leaf, value) : value as string;
        }

        private long? ScalarNumber(IHuntingRecord r)
        {
            if (!field.IsJson)
            {
                return r.Column(field.Column!) is long n ? n : null;
            }
            var (leaf, owner, declared) = Walk(r);
            if (!declared)
            {
                return null;
            }
            if (owner is null || (leaf!.HasPresence && !leaf.Accessor.HasValue(owner)))
            {
                // The JSON leaves the value out; for the payloads that declare it, SQL reads the proto3 default.
                return field.Scope is null ? null : 0;
            }
            return ToNumber(leaf.Accessor.GetValue(owner));
        }

        private IEnumerable<object> Elements(IHuntingRecord r)
        {
            var (leaf, owner, declared) = Walk(r);
            if (!declared || owner is null || leaf!.Accessor.GetValue(owner) is not IList list)
            {
                yield break;
            }
            foreach (var element in list)
            {
                yield return leaf.FieldType == FieldType.Enum ? EnumName(leaf, element) : element;
            }
        }

        /// <summary>The leaf field and the message holding it (null when a message on the way is unset); declared is false when the payload has no such path.</summary>
        private (FieldDescriptor? Leaf, IMessage? Owner, bool Declared) Walk(IHuntingRecord r)
        {
            if (r.Payload is not { } payload)
            {
                return (null, null, false);
            }
            var path = _paths.GetOrAdd(payload.Descriptor, Resolve);
            if (path is null)
            {
                return (null, null, false);
            }
            IMessage? current = payload;
            for (var i = 0; i < path.Length - 1 && current is not null; i++)
            {
                current = path[i].Accessor.GetValue(current) as IMessage;
            }
            return (path[^1], current, true);
        }

        private FieldDescriptor[]? Resolve(MessageDescriptor descriptor)
        {
            var path = new FieldDescriptor[field.JsonPath.Count];
            var message = descriptor;
            for (var i = 0; i < path.Length; i++)
            {
                if (message is null || message.FindFieldByName(field.JsonPath[i]) is not { } f)
                {
                    return null;
                }
                path[i] = f;
                message = i < path.Length - 1 && f.FieldType == FieldType.Message && !f.IsRepeated ? f.MessageType : null;
            }
            return path;
        }

        // JsonFormatter leaves a proto3 default (enum 0) out, so it reads as no value; a number it does not know it writes as the number.
        private static string? EnumText(FieldDescriptor leaf, object? value) => value is null || Convert.ToInt32(value, CultureInfo.InvariantCulture) == 0 ? null : EnumName(leaf, value);

        private static string EnumName(FieldDescriptor leaf, object value)
        {
            var number = Convert.ToInt32(value, CultureInfo.InvariantCulture);
            return leaf.EnumType.FindValueByNumber(number)?.Name ?? number.ToString(CultureInfo.InvariantCulture);
        }

        private static string ElementText(object element) => Convert.ToString(element, CultureInfo.InvariantCulture) ?? "";

        private static long? ToNumber(object? value) => value switch
        {
            int i => i,
            long l => l,
            uint u => u,
            ulong u => u > long.MaxValue ? long.MaxValue : (long)u,
            bool b => b ? 1 : 0,
            _ => null,
        };
    }

    /// <summary>Comparison ignoring the case of ASCII letters only, as SQLite's NOCASE collation and LIKE do.</summary>
    private static class AsciiCase
    {
        public static readonly IEqualityComparer<string> Comparer = new FoldingComparer();

        public static bool Equal(ReadOnlySpan<char> a, ReadOnlySpan<char> b)
        {
            if (a.Length != b.Length)
            {
                return false;
            }
            for (var i = 0; i < a.Length; i++)
            {
                if (Fold(a[i]) != Fold(b[i]))
                {
                    return false;
                }
            }
            return true;
        }

        public static int IndexOf(string value, string part)
        {
            for (var start = 0; start <= value.Length - part.Length; start++)
            {
                if (Equal(value.AsSpan(start, part.Length), part))
                {
                    return start;
                }
            }
            return -1;
        }

        private static char Fold(char c) => c is >= 'A' and <= 'Z' ? (char)(c | 0x20) : c;

        private sealed class FoldingComparer : IEqualityComparer<string>
        {
            public bool Equals(string? x, string? y) => x is null ? y is null : y is not null && Equal(x, y);

            public int GetHashCode(string obj)
            {
                var hash = new HashCode();
                foreach (var c in obj)
                {
                    hash.Add(Fold(c));
                }
                return hash.ToHashCode();
            }
        }
    }
}
