using System.Diagnostics;
using System.Globalization;

namespace Vae.MLNet.Benchmarks;

/// <summary>Timing, memory readings and the child processes that keep one scenario's memory apart from another's.</summary>
internal static class Harness
{
    public static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Torch threads asked for on the command line (<c>--threads</c>); child processes get the same.</summary>
    public static int? Threads { get; set; }

    /// <summary>Runs <paramref name="action"/> <paramref name="warmup"/> times untimed, then <paramref name="repetitions"/>
    /// times timed; returns every timed duration in seconds.</summary>
    public static double[] Time(int warmup, int repetitions, Action action)
    {
        for (var i = 0; i < warmup; i++)
        {
            action();
        }

        var seconds = new double[repetitions];
        for (var i = 0; i < repetitions; i++)
        {
            Settle();
            var clock = Stopwatch.StartNew();
            action();
            seconds[i] = clock.Elapsed.TotalSeconds;
        }

        return seconds;
    }

    /// <summary>Collects garbage so one measurement does not pay for the previous one's.</summary>
    public static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    public static double Median(IEnumerable<double> values) => Percentile(values, 0.5);

    /// <summary>Nearest-rank percentile, p in (0, 1].</summary>
    public static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        if (p == 0.5 && sorted.Length % 2 == 0)
        {
            return (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        }

        var rank = (int)Math.Ceiling(p * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }

    /// <summary>A field of /proc/self/status in MiB (VmRSS: resident now; VmHWM: peak resident).</summary>
    public static double StatusMiB(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                var kb = long.Parse(line.AsSpan(field.Length + 1).Trim().ToString().Split(' ')[0], Invariant);
                return kb / 1024.0;
            }
        }

        return double.NaN;
    }

    /// <summary>Resets the peak resident size (VmHWM) to the current one (Linux: 5 to /proc/self/clear_refs).</summary>
    public static bool ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Runs this program again with the given arguments and returns the lines it printed that start with
    /// "result ", as key=value dictionaries.</summary>
    public static Dictionary<string, string> Child(params string[] arguments)
    {
        var self = Environment.ProcessPath!;
        var info = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var entry = System.Reflection.Assembly.GetEntryAssembly()!.Location;
        if (Path.GetFileNameWithoutExtension(self) is "dotnet")
        {
            info.ArgumentList.Add(entry);
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        if (Threads is { } threads)
        {
            info.Environment["OMP_NUM_THREADS"] = threads.ToString(Invariant);
        }

        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"child '{string.Join(' ', arguments)}' failed ({process.ExitCode}):\n{output}\n{error.Result}");
        }

        var result = new Dictionary<string, string>();
        foreach (var line in output.Split('\n').Where(l => l.StartsWith("result ", StringComparison.Ordinal)))
        {
            foreach (var pair in line["result ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=');
                result[pair[..eq]] = pair[(eq + 1)..];
            }
        }

        return result;
    }

    /// <summary>Starts this program again with the given arguments, its output discarded (a competing process).</summary>
    public static Process StartChild(params string[] arguments)
    {
        var self = Environment.ProcessPath!;
        var info = new ProcessStartInfo(self) { UseShellExecute = false, RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(self) is "dotnet")
        {
            info.ArgumentList.Add(System.Reflection.Assembly.GetEntryAssembly()!.Location);
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info)!;
    }

    public static string F(double value, int decimals = 2) => value.ToString("F" + decimals, Invariant);

    public static string N(double value) => value.ToString("N0", Invariant);
}
