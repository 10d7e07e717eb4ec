using System.Runtime.InteropServices;

namespace Osprey.Detection.Yara;

/// <summary>
/// Compiles YARA rule files with libyara: one namespace per file (its name), the <see cref="YaraExternals"/> defined,
/// <c>include</c> refused (a rule file never reads another file). Errors and warnings keep the file and line.
/// </summary>
public static unsafe class YaraCompiler
{
    /// <summary>Compiles one file on its own: whether it compiles, with every error and warning, and its public rules.</summary>
    public static YaraFileCheck Check(YaraSource source)
    {
        var diagnostics = new List<YaraDiagnostic>();
        nint rules = 0;
        if (Prepare(source) is { } fault)
        {
            diagnostics.Add(fault);
        }
        else
        {
            rules = Run([source], diagnostics);
        }
        var names = new List<string>();
        if (rules != 0)
        {
            names.AddRange(YaraLayout.PublicRules(rules).Select(r => r.Rule));
            LibYara.RulesDestroy(rules);
        }
        return new YaraFileCheck(source.Name, [.. diagnostics.Where(d => !d.IsWarning)], [.. diagnostics.Where(d => d.IsWarning)], names);
    }

    /// <summary>Compiles every file into one rule set; throws <see cref="YaraCompileException"/> when any does not compile.</summary>
    public static YaraRules Build(IReadOnlyList<YaraSource> sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var diagnostics = new List<YaraDiagnostic>();
        foreach (var source in sources)
        {
            if (Prepare(source) is { } fault)
            {
                diagnostics.Add(fault);
            }
        }
        if (diagnostics.Count > 0)
        {
            throw new YaraCompileException(diagnostics);
        }
        var rules = Run(sources, diagnostics);
        if (rules == 0)
        {
            throw new YaraCompileException([.. diagnostics.Where(d => !d.IsWarning)]);
        }
        return new YaraRules(new YaraRulesHandle(rules), sources.Select(s => s.Name).ToList(), [.. diagnostics]);
    }

    /// <summary>Checks each file, then builds the ones that compile into one set (null when none does).</summary>
    public static (YaraRules? Rules, IReadOnlyList<YaraFileCheck> Files) Compile(IReadOnlyList<YaraSource> sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var checks = sources.Select(Check).ToList();
        var good = sources.Where((_, i) => checks[i].Compiled).ToList();
        return (good.Count == 0 ? null : Build(good), checks);
    }

    private static YaraDiagnostic? Prepare(YaraSource source)
    {
        if (source.Text.Contains('\0', StringComparison.Ordinal))
        {
            var line = source.Text.AsSpan(0, source.Text.IndexOf('\0', StringComparison.Ordinal)).Count('\n') + 1;
            return new YaraDiagnostic(source.Name, line, "the rule file holds a NUL character (not a text file)", false);
        }
        return null;
    }

    /// <summary>Adds the sources one by one, stopping at the first that fails (libyara forbids adding after an error); the rules or 0.</summary>
    private static nint Run(IReadOnlyList<YaraSource> sources, List<YaraDiagnostic> diagnostics)
    {
        YaraLibrary.EnsureInitialized();
        Check(LibYara.CompilerCreate(out var compiler), "create a compiler");
        var state = new CompileState(diagnostics);
        var handle = GCHandle.Alloc(state);
        try
        {
            LibYara.CompilerSetCallback(compiler, &OnDiagnostic, GCHandle.ToIntPtr(handle));
            LibYara.CompilerSetIncludeCallback(compiler, 0, 0, 0);
            foreach (var name in YaraExternals.Names)
            {
                fixed (byte* id = YaraText.ToUtf8(name), empty = YaraText.ToUtf8(""))
                {
                    Check(LibYara.CompilerDefineStringVariable(compiler, id, empty), $"define the external variable '{name}'");
                }
            }
            foreach (var source in sources)
            {
                state.File = source.Name;
                int errors;
                fixed (byte* text = YaraText.ToUtf8(source.Text), ns = YaraText.ToUtf8(source.Name))
                {
                    errors = LibYara.CompilerAddString(compiler, text, ns);
                }
                if (errors > 0)
                {
                    return 0;
                }
            }
            var code = LibYara.CompilerGetRules(compiler, out var rules);
            if (code != 0)
            {
                diagnostics.Add(new YaraDiagnostic(sources.Count == 1 ? sources[0].Name : "(rules)", 0, YaraErrors.Describe(code), false));
                return 0;
            }
            return rules;
        }
        finally
        {
            LibYara.CompilerDestroy(compiler);
            handle.Free();
        }
    }

    private static void Check(int code, string what)
    {
        if (code != 0)
        {
            throw new YaraException(code, $"libyara could not {what}: {YaraErrors.Describe(code)}");
        }
    }

    [UnmanagedCallersOnly]
    private static void OnDiagnostic(int level, byte* fileName, int line, nint rule, byte* message, nint userData)
    {
        var state = (CompileState)GCHandle.FromIntPtr(userData).Target!;
        var file = fileName == null ? state.File : YaraText.FromUtf8(fileName);
        state.Diagnostics.Add(new YaraDiagnostic(file, line, YaraText.FromUtf8(message), level == LibYara.ErrorLevelWarning));
    }

    private sealed class CompileState(List<YaraDiagnostic> diagnostics)
    {
        public List<YaraDiagnostic> Diagnostics { get; } = diagnostics;

        public string File { get; set; } = "";
    }
}
