namespace Osprey.Detection.Hunting;

/// <summary>Compiles hunting queries to parameterised SQL conditions through a schema and a dialect; safe to share between threads.</summary>
/// <remarks>
/// User values only ever become parameters. The SQL text is made of fixed fragments, identifiers and JSON paths
/// checked by <see cref="HuntingField"/>, and event type names from the schema's descriptors.
/// Every condition compiles to SQL that is TRUE or FALSE, never NULL, so NOT is the exact complement (see README.md).
/// </remarks>
public sealed partial class HuntingQueryCompiler
{
    /// <summary>Creates a compiler for <paramref name="schema"/> and <paramref name="dialect"/>.</summary>
    public HuntingQueryCompiler(IHuntingSchema schema, SqlDialect dialect)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(dialect);
        Schema = schema;
        Dialect = dialect;
    }

    /// <summary>The schema field names resolve through.</summary>
    public IHuntingSchema Schema { get; }

    /// <summary>The SQL flavour produced.</summary>
    public SqlDialect Dialect { get; }

    /// <summary>Parses and compiles <paramref name="query"/>; throws <see cref="HuntingQueryException"/> for any fault in it.</summary>
    public CompiledSql Compile(string query) => Compile(HuntingQueryParser.Parse(query));

    /// <summary>Compiles a parsed (or built) query tree; throws <see cref="HuntingQueryException"/> for unknown fields, type mismatches and exceeded limits.</summary>
    public CompiledSql Compile(HuntingExpression expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var sql = new SqlBuilder();
        Write(sql, expression, 0);
        return sql.ToCompiledSql();
    }

    private void Write(SqlBuilder sql, HuntingExpression expression, int depth)
    {
        HuntingTree.CheckDepth(expression, depth);
        switch (expression)
        {
            case AndExpression or OrExpression:
                var separator = expression is AndExpression ? " AND " : " OR ";
                var operands = HuntingTree.Flatten(expression);
                sql.Text.Append('(');
                for (var i = 0; i < operands.Count; i++)
                {
                    sql.Text.Append(i == 0 ? string.Empty : separator);
                    Write(sql, operands[i], depth + 1);
                }

                sql.Text.Append(')');
                break;
            case NotExpression not:
                // Every operand compiles to "(…)", "NOT …" or "EXISTS (…)", so no further parentheses are needed.
                sql.Text.Append("NOT ");
                Write(sql, not.Operand, depth + 1);
                break;
            case ComparisonExpression comparison:
                HuntingTree.CountTerm(comparison, ref sql.Terms);
                sql.Text.Append(Comparison(sql, comparison));
                break;
            case InExpression @in:
                HuntingTree.CountTerm(@in, ref sql.Terms);
                sql.Text.Append(In(sql, @in));
                break;
            default:
                throw new ArgumentException("Unknown expression node " + expression.GetType().Name, nameof(expression));
        }
    }

    private HuntingField Resolve(FieldReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return Schema.TryResolve(reference.Name, out var field)
            ? field
            : throw new HuntingQueryException(Schema.ExplainUnresolved(reference.Name), reference.Position);
    }

    private string Comparison(SqlBuilder sql, ComparisonExpression comparison)
    {
        var field = Resolve(comparison.Field);
        var op = comparison.Operator;
        CheckOperator(field, op, comparison.OperatorPosition);
        var positive = op.Positive();
        string condition;
        switch (field.Type)
        {
            case HuntingFieldType.String:
                var text = ToText(comparison.Value);
                if (positive == ComparisonOperator.Equal)
                {
                    var parameter = sql.Add(text);
                    var key = field.KeyColumn is { } keyColumn && text.Length > 0 ? $"{SqlDialect.Quote(keyColumn)} = {sql.Add(LookupKey.Of(text))} AND " : string.Empty;
                    condition = Condition(field, text.Length == 0, value => key + Dialect.TextEquals(value, parameter));
                }
                else
                {
                    var pattern = sql.Add(LikePattern.For(positive, text));
                    condition = Condition(field, text.Length == 0, value => Dialect.TextLike(value, pattern));
                }

                break;
            case HuntingFieldType.Boolean:
                var flag = sql.Add(Dialect.Boolean(ToBoolean(field, comparison.Value)));
                condition = Condition(field, false, value => $"{value} = {flag}");
                break;
            default:
                var number = sql.Add(ToInteger(field, comparison.Value));
                condition = Condition(field, false, value => $"{value} {positive.ToSql()} {number}");
                break;
        }

        return op.IsNegated() ? "NOT " + condition : condition;
    }

    private string In(SqlBuilder sql, InExpression @in)
    {
        var field = Resolve(@in.Field);
        if (@in.Values.IsDefaultOrEmpty)
        {
            throw new HuntingQueryException("expected a value in the IN list", @in.OperatorPosition);
        }

        if (@in.Values.Length > HuntingQueryLimits.MaxInValues)
        {
            throw new HuntingQueryException("IN list has more values than the limit of 1000", @in.Values[HuntingQueryLimits.MaxInValues].Position);
        }

        string condition;
        switch (field.Type)
        {
            case HuntingFieldType.String:
                var texts = @in.Values.Select(ToText).ToArray();
                var list = sql.Add(Dialect.TextList(texts));
                var keys = field.KeyColumn is { } keyColumn
                    ? Dialect.IntegerIn(SqlDialect.Quote(keyColumn), sql.Add(Dialect.IntegerList(texts.Select(t => LookupKey.Of(t)).ToArray()))) + " AND "
                    : string.Empty;
                condition = Condition(field, texts.Any(t => t.Length == 0), value => keys + Dialect.TextIn(value, list));
                break;
            case HuntingFieldType.Boolean:
                throw new HuntingQueryException($"IN cannot be used on boolean field '{field.Name}'", @in.OperatorPosition, "use = or !=");
            default:
                var numbers = sql.Add(Dialect.IntegerList(@in.Values.Select(v => ToInteger(field, v)).ToArray()));
                condition = Condition(field, false, value => Dialect.IntegerIn(value, numbers));
                break;
        }

        return @in.Negated ? "NOT " + condition : condition;
    }

    /// <summary>
    /// Wraps a predicate on the field's value so the result is never NULL: a missing text reads as the empty
    /// string (it matches when <paramref name="emptyMatches"/>), any other missing value matches no predicate,
    /// and a list matches when any element does.
    /// </summary>
    private string Condition(HuntingField field, bool emptyMatches, Func<string, string> predicate)
    {
        if (field.IsList)
        {
            return $"EXISTS (SELECT 1 FROM {Dialect.JsonElements(field)} WHERE {predicate(Dialect.Element(field.Type))})";
        }

        var value = ValueOf(field);
        return emptyMatches
            ? $"({value} IS NULL OR {predicate(value)})"
            : $"({value} IS NOT NULL AND {predicate(value)})";
    }

    /// <summary>The SQL expression for a scalar field's value, NULL when the event has none.</summary>
    private string ValueOf(HuntingField field)
    {
        if (!field.IsJson)
        {
            return SqlDialect.Quote(field.Column!);
        }

        var raw = field.Type switch
        {
            HuntingFieldType.String => Dialect.JsonText(field),
            HuntingFieldType.Boolean => Dialect.JsonBoolean(field),
            _ => Dialect.JsonInteger(field),
        };
        if (field.Scope is not { } scope || field.Type == HuntingFieldType.String)
        {
            return raw;
        }

        // JsonFormatter omits proto3 defaults: for the payloads that declare the field, absent means 0 or false.
        var types = string.Join(", ", scope.EventTypes.Select(t => "'" + t + "'"));
        var fallback = field.Type == HuntingFieldType.Boolean ? Dialect.FalseValue : "0";
        return $"CASE WHEN {SqlDialect.Quote(scope.EventTypeColumn)} IN ({types}) THEN COALESCE({raw}, {fallback}) END";
    }
}
