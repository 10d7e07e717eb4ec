using System.Globalization;
using Osprey.Contracts.V1;

namespace Osprey.Detection.Sigma;

/// <summary>
/// Per-thread state of one evaluation: the event, each field read at most once (cached by slot and stamped with the
/// event's generation, so nothing is cleared between events), a scratch buffer for derived text, and the acting
/// process's arguments split once. Reused for every event on its thread: no allocation per event once warm.
/// </summary>
internal sealed class SigmaEvaluationContext
{
    [ThreadStatic]
    private static SigmaEvaluationContext? t_current;

    private int _generation;
    private int[] _stamps = [];
    private int[] _marks = [];
    private SigmaFieldValue[] _values = [];
    private char[] _scratch = new char[1024];
    private int _scratchLength;
    private int _argumentsGeneration;
    private int _argumentCount;
    private SigmaFieldValue[] _arguments = new SigmaFieldValue[64];
    private SigmaFieldValue _commandLine;

    public Event Event { get; private set; } = null!;

    /// <summary>The calling thread's context, reset for <paramref name="e"/>.</summary>
    public static SigmaEvaluationContext For(Event e)
    {
        var context = t_current ??= new SigmaEvaluationContext();
        context.Begin(e);
        return context;
    }

    public SigmaFieldValue Read(SigmaField field)
    {
        if (field.Constant is { } constant)
        {
            return SigmaFieldValue.Of(constant);
        }

        var slot = field.Slot;
        if (slot >= _stamps.Length)
        {
            Grow();
        }

        if (_stamps[slot] != _generation)
        {
            _values[slot] = field.Reader!(this);
            _stamps[slot] = _generation;
        }

        return _values[slot];
    }

    /// <summary>True the first time <paramref name="id"/> is marked for the current event.</summary>
    public bool TryMark(int id)
    {
        if (id >= _marks.Length)
        {
            Array.Resize(ref _marks, Math.Max(id + 1, _marks.Length * 2));
        }

        if (_marks[id] == _generation)
        {
            return false;
        }

        _marks[id] = _generation;
        return true;
    }

    public ReadOnlySpan<char> Span(SigmaFieldValue value) =>
        value.InScratch ? _scratch.AsSpan(value.Start, value.Length) : value.Text.AsSpan(value.Start, value.Length);

    /// <summary>A field's text, empty when absent.</summary>
    public ReadOnlySpan<char> Text(SigmaField field) => Span(Read(field));

    public SigmaFieldValue Number(long value)
    {
        var start = _scratchLength;
        Reserve(20);
        value.TryFormat(_scratch.AsSpan(start), out var written, provider: CultureInfo.InvariantCulture);
        _scratchLength += written;
        return SigmaFieldValue.Scratch(start, written);
    }

    /// <summary>Position to pass to <see cref="Since"/> after appending the parts of a composed value.</summary>
    public int Mark() => _scratchLength;

    public void Append(ReadOnlySpan<char> text)
    {
        Reserve(text.Length);
        text.CopyTo(_scratch.AsSpan(_scratchLength));
        _scratchLength += text.Length;
    }

    public SigmaFieldValue Since(int mark) => _scratchLength == mark ? SigmaFieldValue.Missing : SigmaFieldValue.Scratch(mark, _scratchLength - mark);

    /// <summary>Number of arguments of the acting process (argv).</summary>
    public int ArgumentCount
    {
        get
        {
            SplitArguments();
            return _argumentCount;
        }
    }

    /// <summary>Argument <paramref name="index"/> of the acting process (a0 is the program as invoked); absent past the end.</summary>
    public SigmaFieldValue Argument(int index)
    {
        SplitArguments();
        return index < _argumentCount ? _arguments[index] : SigmaFieldValue.Missing;
    }

    /// <summary>The acting process's arguments joined by single spaces, unquoted (see <see cref="SigmaCommandLine"/>).</summary>
    public SigmaFieldValue CommandLine
    {
        get
        {
            SplitArguments();
            return _commandLine;
        }
    }

    /// <summary>Another command line (the parent's) in the same unquoted form.</summary>
    public SigmaFieldValue Unquoted(string? commandLine)
    {
        if (string.IsNullOrEmpty(commandLine) || !commandLine.Contains('"', StringComparison.Ordinal))
        {
            return SigmaFieldValue.Of(commandLine);
        }

        var mark = _scratchLength;
        Reserve(commandLine.Length);
        _scratchLength += SigmaCommandLine.Unquote(commandLine, _scratch.AsSpan(mark), null, out _);
        return Since(mark);
    }

    private void Begin(Event e)
    {
        Event = e;
        _scratchLength = 0;
        if (++_generation == int.MaxValue)
        {
            Array.Clear(_stamps);
            Array.Clear(_marks);
            _argumentsGeneration = 0;
            _generation = 1;
        }
    }

    private void SplitArguments()
    {
        if (_argumentsGeneration == _generation)
        {
            return;
        }

        _argumentsGeneration = _generation;
        var line = Event.Process?.CommandLine;
        if (string.IsNullOrEmpty(line))
        {
            _argumentCount = 0;
            _commandLine = SigmaFieldValue.Missing;
            return;
        }

        var count = SigmaCommandLine.CountArguments(line);
        if (count > _arguments.Length)
        {
            _arguments = new SigmaFieldValue[Math.Max(count, _arguments.Length * 2)];
        }

        if (!line.Contains('"', StringComparison.Ordinal))
        {
            _argumentCount = SigmaCommandLine.Split(line, _arguments);
            _commandLine = SigmaFieldValue.Of(line);
            return;
        }

        var mark = _scratchLength;
        Reserve(line.Length);
        var written = SigmaCommandLine.Unquote(line, _scratch.AsSpan(mark), _arguments, out _argumentCount);
        for (var i = 0; i < _argumentCount; i++)
        {
            _arguments[i] = SigmaFieldValue.Scratch(mark + _arguments[i].Start, _arguments[i].Length);
        }

        _scratchLength += written;
        _commandLine = SigmaFieldValue.Scratch(mark, written);
    }

    private void Reserve(int length)
    {
        if (_scratchLength + length > _scratch.Length)
        {
            Array.Resize(ref _scratch, Math.Max(_scratch.Length * 2, _scratchLength + length));
        }
    }

    private void Grow()
    {
        var size = Math.Max(SigmaField.SlotCount, _stamps.Length * 2);
        Array.Resize(ref _stamps, size);
        Array.Resize(ref _values, size);
    }
}
