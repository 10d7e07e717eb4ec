namespace Osprey.Detection.Sigma;

/// <summary>
/// Compiles one rule document: reads it, applies every item's modifiers and parses the condition (faults there make
/// the rule Invalid, whatever its log source), then resolves the log source and the fields (gaps make it
/// Unsupported), then builds a predicate for each record kind, deciding in advance what the kind settles (a
/// constant <c>type</c>, a field it lacks). A rule no kind can match is Unsupported with each kind's reason.
/// </summary>
internal sealed class SigmaRuleCompiler
{
    private const int MaxReasonLength = 1500;

    private static readonly SigmaModifier[] MatchingModifiers =
    [
        SigmaModifier.Contains, SigmaModifier.StartsWith, SigmaModifier.EndsWith, SigmaModifier.Re, SigmaModifier.Cidr,
        SigmaModifier.Gt, SigmaModifier.Gte, SigmaModifier.Lt, SigmaModifier.Lte, SigmaModifier.FieldRef, SigmaModifier.Exists,
    ];

    private readonly SigmaCompilerOptions _options;
    private readonly Dictionary<SigmaFieldItem, (SigmaItemPlan Plan, SigmaMatcher? Matcher)> _items = new(ReferenceEqualityComparer.Instance);
    private SigmaRuleDocument _document = null!;

    public SigmaRuleCompiler(SigmaCompilerOptions options)
    {
        _options = options;
    }

    public SigmaCompileResult Compile(SigmaYamlNode node, string source, int index)
    {
        SigmaRule? rule = null;
        try
        {
            _document = SigmaRuleReader.Read(node);
            rule = _document.Rule;
            var detection = _document.Detection;
            foreach (var item in detection.Searches.SelectMany(s => s.Branches).SelectMany(b => b))
            {
                var plan = SigmaItemPlanner.Plan(item.IsKeyword && !item.Modifiers.Any(MatchingModifiers.Contains) ? item with { Modifiers = [.. item.Modifiers, SigmaModifier.Contains] } : item, _options);
                var matcher = plan.Exists is null && !plan.Groups.SelectMany(g => g).Any(v => v.Kind == SigmaValueKind.FieldRef) ? SigmaMatcherFactory.Create(plan) : null;
                _items[item] = (plan, matcher);
            }

            var names = detection.Searches.Select(s => s.Name).ToList();
            var conditions = detection.Conditions.Select(c => SigmaConditionParser.Parse(c.Text, names, c.Line)).ToList();
            var mapping = SigmaLinuxMapping.Resolve(rule.LogSource);
            CheckFields(mapping);
            return Build(mapping, conditions, source, index);
        }
        catch (SigmaRuleException e)
        {
            return new SigmaCompileResult { Status = e.Status, Source = source, Document = index, Rule = rule, Reason = e.Message };
        }
    }

    private SigmaCompileResult Build(SigmaLogSourceMapping mapping, List<SigmaConditionNode> conditions, string source, int index)
    {
        var rule = _document.Rule;
        var views = new List<SigmaCompiledView>();
        var impossible = new List<(SigmaRecordKind Kind, ConstantPredicate Reason)>();
        var never = _document.Detection.Searches.ToDictionary(s => s.Name, _ => new List<(SigmaRecordKind, ConstantPredicate)>(), StringComparer.Ordinal);
        var referenced = conditions.SelectMany(Referenced).ToHashSet(StringComparer.Ordinal);
        foreach (var kind in mapping.Kinds)
        {
            var searches = _document.Detection.Searches.ToDictionary(s => s.Name, s => CompileSearch(s, kind), StringComparer.Ordinal);
            foreach (var (name, predicate) in searches)
            {
                if (predicate is ConstantPredicate { Value: false } impossibleSearch)
                {
                    never[name].Add((kind, impossibleSearch));
                }
            }

            var condition = SigmaPredicates.Or([.. conditions.Select(c => CompileCondition(c, searches))]);
            if (condition is ConstantPredicate { Value: false } constant)
            {
                impossible.Add((kind, constant));
                continue;
            }

            views.Add(new SigmaCompiledView(kind, condition, [.. searches.Where(s => referenced.Contains(s.Key))]));
        }

        if (views.Count == 0)
        {
            var reason = $"no Osprey event can match the rule ({Describe(impossible)})";
            if (mapping.Note is { } note)
            {
                reason += ". " + note;
            }

            return new SigmaCompileResult
            {
                Status = SigmaCompileStatus.Unsupported, Source = source, Document = index, Rule = rule,
                Reason = reason.Length > MaxReasonLength ? reason[..MaxReasonLength] + "…" : reason,
            };
        }

        var warnings = new List<string>(_document.Warnings);
        foreach (var (name, kinds) in never)
        {
            if (kinds.Count == mapping.Kinds.Count)
            {
                warnings.Add($"search '{name}' can never match an Osprey event ({Describe(kinds)})");
            }
        }

        var compiled = new CompiledSigmaRule(rule, source, views, warnings);
        return new SigmaCompileResult { Status = SigmaCompileStatus.Compiled, Source = source, Document = index, Rule = rule, Compiled = compiled, Warnings = warnings };
    }

    /// <summary>
    /// "auditd SYSCALL (process start): …; auditd PATH records: …" — kinds with the same reason named once; kinds that
    /// only their shape ruled out (a constant type, a field they lack) are left out when another kind has a more telling reason.
    /// </summary>
    private static string Describe(List<(SigmaRecordKind Kind, ConstantPredicate Reason)> impossible) =>
        string.Join("; ", impossible.Where(i => !i.Reason.ByKind || impossible.All(j => j.Reason.ByKind))
            .GroupBy(i => i.Reason.Reason, StringComparer.Ordinal).Select(g =>
        {
            var families = g.Select(i => i.Kind.Name.Split(" (")[0]).Distinct(StringComparer.Ordinal).ToList();
            var kinds = g.Count() > 1 && families.Count == 1 ? $"{families[0]} records" : string.Join(", ", g.Select(i => i.Kind.Name));
            return $"{kinds}: {g.Key}";
        }));

    private static IEnumerable<string> Referenced(SigmaConditionNode node) => node switch
    {
        SigmaConditionReference reference => [reference.Name],
        SigmaConditionOf of => of.Names,
        SigmaConditionNot not => Referenced(not.Operand),
        SigmaConditionAnd and => and.Operands.SelectMany(Referenced),
        SigmaConditionOr or => or.Operands.SelectMany(Referenced),
        _ => [],
    };

    /// <summary>Every field a rule names must exist in at least one record kind of its log source.</summary>
    private void CheckFields(SigmaLogSourceMapping mapping)
    {
        foreach (var (item, (plan, _)) in _items)
        {
            var names = new List<string>();
            if (item.Field is { } field)
            {
                names.Add(field);
            }

            names.AddRange(plan.Groups.SelectMany(g => g).Where(v => v.Kind == SigmaValueKind.FieldRef).Select(v => v.Text));
            foreach (var name in names)
            {
                if (mapping.Kinds.Any(k => k.Find(name) is not null))
                {
                    continue;
                }

                var known = string.Join(", ", mapping.Kinds.SelectMany(k => k.Fields).Select(f => f.Name).Distinct(StringComparer.OrdinalIgnoreCase));
                throw SigmaRuleException.Unsupported(mapping.Unproduced.TryGetValue(name, out var why)
                    ? $"field '{name}' is not produced for {mapping.Name}: {why}"
                    : $"field '{name}' is not produced for {mapping.Name} (Osprey has: {known}{(mapping.Name == "auditd" ? ", a0…a255" : "")})", item.Line);
            }
        }
    }

    private SigmaPredicate CompileSearch(SigmaSearch search, SigmaRecordKind kind) =>
        SigmaPredicates.Or([.. search.Branches.Select(branch => SigmaPredicates.And([.. branch.Select(item => CompileItem(item, kind))]))]);

    private SigmaPredicate CompileItem(SigmaFieldItem item, SigmaRecordKind kind)
    {
        var (plan, matcher) = _items[item];
        if (item.IsKeyword)
        {
            if (kind.KeywordFields.Count == 0)
            {
                return new ConstantPredicate(false, "no fields for keywords to search", byKind: true);
            }

            return plan.All && plan.Groups.Count > 1
                ? SigmaPredicates.And([.. plan.Groups.Select(g => (SigmaPredicate)new KeywordPredicate(kind.KeywordFields, SigmaMatcherFactory.Create(plan with { All = false, Groups = [g] })))])
                : new KeywordPredicate(kind.KeywordFields, matcher!);
        }

        var field = kind.Find(item.Field!);
        if (plan.Exists is { } exists)
        {
            return field is null ? new ConstantPredicate(!exists, $"no field '{item.Field}'", byKind: true)
                : field.Constant is not null ? new ConstantPredicate(exists, $"'{field.Name}' is always present")
                : new ExistsPredicate(field, exists);
        }

        if (matcher is null)
        {
            return CompileFieldRefs(item, plan, field, kind);
        }

        if (field is null)
        {
            return new ConstantPredicate(matcher.MatchesMissing, $"no field '{item.Field}' for '{Shown(item)}'", byKind: true);
        }

        if (field.Constant is { } constant)
        {
            return new ConstantPredicate(matcher.Matches(constant), $"'{Shown(item)}' never holds: {field.Name} is always '{constant}'", byKind: true);
        }

        if (field.Domain is { } domain && !matcher.MatchesMissing && !domain.Any(v => matcher.Matches(v)))
        {
            return new ConstantPredicate(false, $"'{Shown(item)}' never holds: {field.Name} is one of {string.Join(", ", domain)}");
        }

        return new FieldPredicate(field, matcher);
    }

    /// <summary>"SYSCALL: socket" or "a0: zip, gzip" (at most three values) for reasons.</summary>
    private static string Shown(SigmaFieldItem item)
    {
        var values = item.Values.Take(3).Select(v => v.IsNull ? "null" : v.Value).ToList();
        return $"{item.Key}: {string.Join(", ", values)}{(item.Values.Count > 3 ? ", …" : "")}";
    }

    private static SigmaPredicate CompileFieldRefs(SigmaFieldItem item, SigmaItemPlan plan, SigmaField? field, SigmaRecordKind kind)
    {
        var predicates = new List<SigmaPredicate>();
        foreach (var group in plan.Groups)
        {
            var alternatives = new List<SigmaPredicate>();
            foreach (var value in group)
            {
                var other = kind.Find(value.Text);
                alternatives.Add(field is null || other is null
                    ? new ConstantPredicate(plan.Negated, $"no field '{(field is null ? item.Field : value.Text)}'", byKind: true)
                    : new FieldRefPredicate(field, other, plan.FieldRefMode, plan.Cased, plan.Negated));
            }

            predicates.Add(plan.Negated ? SigmaPredicates.And(alternatives) : SigmaPredicates.Or(alternatives));
        }

        return plan.All || plan.Negated ? SigmaPredicates.And(predicates) : SigmaPredicates.Or(predicates);
    }

    private static SigmaPredicate CompileCondition(SigmaConditionNode node, Dictionary<string, SigmaPredicate> searches) => node switch
    {
        SigmaConditionReference reference => searches[reference.Name],
        SigmaConditionNot not => SigmaPredicates.Not(CompileCondition(not.Operand, searches)),
        SigmaConditionAnd and => SigmaPredicates.And([.. and.Operands.Select(o => CompileCondition(o, searches))]),
        SigmaConditionOr or => SigmaPredicates.Or([.. or.Operands.Select(o => CompileCondition(o, searches))]),
        SigmaConditionOf of => of.All
            ? SigmaPredicates.And([.. of.Names.Select(n => searches[n])])
            : SigmaPredicates.AtLeast(of.Count, [.. of.Names.Select(n => searches[n])]),
        _ => throw new InvalidOperationException($"unknown condition node {node.GetType().Name}"),
    };
}
