namespace Osprey.Detection.Sigma;

/// <summary>
/// Compiles Sigma rules as SigmaHQ publishes them (YAML, one rule per document, Sigma 1 collections with
/// <c>action: global | reset | repeat</c>) into <see cref="CompiledSigmaRule"/>s over Osprey's Linux events. Every
/// document yields one <see cref="SigmaCompileResult"/>: Compiled, Unsupported (with the reason) or Invalid (with what
/// is wrong and where). Bad input never throws. Thread-safe.
/// </summary>
public sealed class SigmaCompiler
{
    private readonly SigmaCompilerOptions _options;

    public SigmaCompiler(SigmaCompilerOptions? options = null)
    {
        _options = options ?? SigmaCompilerOptions.Default;
    }

    /// <summary>Compiles the rules in <paramref name="yaml"/>; <paramref name="source"/> names them in results (a path).</summary>
    public IReadOnlyList<SigmaCompileResult> Compile(string yaml, string source)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(source);
        IReadOnlyList<SigmaYamlNode?> documents;
        try
        {
            documents = SigmaYamlReader.Read(yaml);
        }
        catch (SigmaRuleException e)
        {
            return [new SigmaCompileResult { Status = e.Status, Source = source, Reason = e.Message }];
        }

        var results = new List<SigmaCompileResult>();
        var rules = new List<(int Index, SigmaYamlNode Node)>();
        SigmaYamlNode? global = null;
        SigmaYamlNode? previous = null;
        for (var i = 0; i < documents.Count; i++)
        {
            if (documents[i] is not { } document)
            {
                continue;
            }

            if (document.Kind != SigmaYamlNodeKind.Mapping)
            {
                results.Add(Invalid(source, i, $"line {document.Line}: a rule must be a YAML mapping (title, logsource, detection, …)"));
                continue;
            }

            var action = document.Get("action");
            switch (action?.Value)
            {
                case null:
                    rules.Add((i, previous = global is null ? document : global.MergedWith(document)));
                    break;
                case "global":
                    global = global is null ? document.Without("action") : global.MergedWith(document.Without("action"));
                    break;
                case "reset":
                    global = null;
                    break;
                case "repeat" when previous is not null:
                    rules.Add((i, previous = previous.MergedWith(document.Without("action"))));
                    break;
                case "repeat":
                    results.Add(Invalid(source, i, $"line {document.Line}: 'action: repeat' with no rule before it to repeat"));
                    break;
                default:
                    results.Add(Invalid(source, i, $"line {action.Line}: unknown action '{action.Value}' (global, reset or repeat)"));
                    break;
            }
        }

        var correlation = rules.Select(r => r.Node).FirstOrDefault(n => n.Get("correlation") is not null);
        foreach (var (index, node) in rules)
        {
            results.Add(Special(node, correlation, source, index) ?? new SigmaRuleCompiler(_options).Compile(node, source, index));
        }

        results.Sort((a, b) => a.Document.CompareTo(b.Document));
        return results;
    }

    /// <summary>Compiles one rule file; a file that cannot be read is one Invalid result.</summary>
    public IReadOnlyList<SigmaCompileResult> CompileFile(string path)
    {
        string text;
        try
        {
            var info = new FileInfo(path);
            if (info.Exists && info.Length > SigmaLimits.MaxFileLength * 4L)
            {
                return [Invalid(path, 0, $"the file is larger than {SigmaLimits.MaxFileLength} characters")];
            }

            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [Invalid(path, 0, $"cannot read the file: {e.Message}")];
        }

        return Compile(text, path);
    }

    /// <summary>Compiles every <c>*.yml</c> and <c>*.yaml</c> file under <paramref name="directory"/>, in path order.</summary>
    public IReadOnlyList<SigmaCompileResult> CompileDirectory(string directory)
    {
        var files = Directory.EnumerateFiles(directory, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal);
        return [.. files.SelectMany(CompileFile)];
    }

    /// <summary>Correlation and filter documents, and the rules a correlation in the same file builds on, are not evaluated on single events.</summary>
    private static SigmaCompileResult? Special(SigmaYamlNode node, SigmaYamlNode? correlation, string source, int index)
    {
        var title = node.Get("title") is { Kind: SigmaYamlNodeKind.Scalar } t ? t.Value : null;
        var rule = title is null ? null : new SigmaRule { Title = title, Id = node.Get("id")?.Value, LogSource = new SigmaLogSource(null, null, null) };
        string? reason = null;
        if (node.Get("correlation") is { } type)
        {
            reason = $"correlation rules ({type.Get("type")?.Value ?? "untyped"}) relate several events over time; the engine evaluates single events";
        }
        else if (node.Get("filter") is not null && node.Get("detection") is null)
        {
            reason = "Sigma filters (meta filters applied to other rules) are not supported";
        }
        else if (correlation is not null)
        {
            reason = $"the rule is part of the correlation '{correlation.Get("title")?.Value}' in the same file, and such rules produce no matches of their own";
        }

        return reason is null ? null : new SigmaCompileResult { Status = SigmaCompileStatus.Unsupported, Source = source, Document = index, Rule = rule, Reason = reason };
    }

    private static SigmaCompileResult Invalid(string source, int index, string reason) =>
        new() { Status = SigmaCompileStatus.Invalid, Source = source, Document = index, Reason = reason };
}
