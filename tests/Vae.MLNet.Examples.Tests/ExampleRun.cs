using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;

namespace Vae.MLNet.Examples.Tests;

/// <summary>Runs a built example program in a child process and keeps what it printed.</summary>
internal sealed record ExampleRun(int ExitCode, string Output, string Errors, TimeSpan Elapsed)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    /// <summary>The example's program, as recorded at build time.</summary>
    public static string ProgramPath(string example)
    {
        var path = typeof(ExampleRun).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .SingleOrDefault(a => a.Key == $"Example:{example}")?.Value
            ?? throw new InvalidOperationException($"no build path recorded for example {example}");
        return File.Exists(path) ? path : throw new FileNotFoundException($"example {example} is not built at {path}", path);
    }

    public static ExampleRun Start(string example, params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add(ProgramPath(example));
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {example}");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{example} {string.Join(' ', arguments)} ran longer than {Timeout.TotalMinutes} minutes; output so far:\n{output.Result}");
        }

        process.WaitForExit();
        return new ExampleRun(process.ExitCode, output.Result, errors.Result, clock.Elapsed);
    }

    public IReadOnlyList<string> Lines => Output.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Checks the exit code and returns the fields of the last line, which must start with <paramref name="prefix"/>:
    /// <c>prefix: key=value key=value ...</c>.</summary>
    public IReadOnlyDictionary<string, string> Summary(string prefix)
    {
        Assert.True(ExitCode == 0, $"exit code {ExitCode}\nstdout:\n{Output}\nstderr:\n{Errors}");
        var last = Lines.LastOrDefault() ?? string.Empty;
        Assert.True(last.StartsWith(prefix + ":", StringComparison.Ordinal), $"the last line is not the '{prefix}:' summary: {last}\nstdout:\n{Output}");
        return last[(prefix.Length + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(field => field.Split('=', 2))
            .ToDictionary(kv => kv[0], kv => kv.Length > 1 ? kv[1] : string.Empty);
    }

    public static double Number(IReadOnlyDictionary<string, string> summary, string key)
    {
        Assert.True(summary.TryGetValue(key, out var text), $"the summary has no {key}: {string.Join(' ', summary.Select(kv => $"{kv.Key}={kv.Value}"))}");
        Assert.True(double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value), $"{key}={text} is not a finite number");
        return value;
    }
}
