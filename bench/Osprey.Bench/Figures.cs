using System.Globalization;

namespace Osprey.Bench;

/// <summary>Prints results as `name: value unit`, one per line, for scripts to read.</summary>
public static class Figures
{
    public static void Print(string name, double value, string unit) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {value:0.###} {unit}"));
}
