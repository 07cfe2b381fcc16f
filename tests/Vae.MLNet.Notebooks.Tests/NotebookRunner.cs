using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;
using Microsoft.ML;
using Microsoft.ML.Trainers.LightGbm;

namespace Vae.MLNet.Notebooks.Tests;

/// <summary>One code cell's run: what it displayed and printed, and how long it took.</summary>
public sealed record CellRun(NotebookCell Cell, int CodeCellNumber, IReadOnlyList<object?> Displayed, string Output, TimeSpan Elapsed);

/// <summary>A code cell that did not compile or threw, named by notebook and cell.</summary>
public sealed class NotebookCellException(string message, Exception? inner) : Exception(message, inner);

/// <summary>
/// Runs a notebook's C# code cells in order as Roslyn script submissions, the way .NET Interactive's C# kernel does:
/// each cell continues the previous one's state. <c>#r "nuget: ..."</c> lines are taken from this build (the
/// packages' assemblies are loaded here and given to the script as references), and <c>display</c>/<c>HTML</c>
/// come from <see cref="NotebookGlobals"/>. The working directory is the notebook's folder while it runs.
/// </summary>
public static partial class NotebookRunner
{
    /// <summary>The packages a notebook may ask for with <c>#r "nuget: ..."</c>, each with one of its assemblies here.</summary>
    public static readonly IReadOnlyDictionary<string, Assembly> Packages = new Dictionary<string, Assembly>(StringComparer.OrdinalIgnoreCase)
    {
        ["Vae.MLNet"] = typeof(VariationalAutoencoderOptions).Assembly,
        ["Microsoft.ML"] = typeof(MLContext).Assembly,
        ["Microsoft.ML.LightGbm"] = typeof(LightGbmBinaryTrainer).Assembly,
        ["ScottPlot"] = typeof(ScottPlot.Plot).Assembly,
    };

    // The namespaces .NET Interactive's C# kernel imports for every notebook.
    private static readonly string[] KernelImports = ["System", "System.Collections.Generic", "System.Linq", "System.Text", "System.Threading.Tasks"];

    private static readonly Lazy<ScriptOptions> Options = new(CreateOptions);

    /// <summary>The script options the notebooks run with: this build's assemblies and the kernel's imports.</summary>
    public static ScriptOptions ScriptOptions => Options.Value;

    /// <summary>
    /// Runs every code cell of <paramref name="notebook"/>. After the cell tagged <c>parameters</c>,
    /// <paramref name="parameterOverrides"/> (C# assignments to that cell's variables) runs as one more submission.
    /// Throws <see cref="NotebookCellException"/> naming the notebook and cell when a cell fails.
    /// </summary>
    public static async Task<IReadOnlyList<CellRun>> RunAsync(Notebook notebook, string? parameterOverrides, Action<string> log)
    {
        var runs = new List<CellRun>();
        var globals = new NotebookGlobals();
        var previousDirectory = Environment.CurrentDirectory;
        var previousOut = Console.Out;
        ScriptState<object>? state = null;
        var overridden = false;
        try
        {
            Environment.CurrentDirectory = Path.GetDirectoryName(Path.GetFullPath(notebook.Path))!;
            var number = 0;
            foreach (var cell in notebook.CodeCells)
            {
                number++;
                var code = TranslateDirectives(notebook, cell);
                state = await RunSubmissionAsync(notebook, cell, number, code, state, globals, runs, log);
                if (parameterOverrides is not null && cell.Tags.Contains("parameters"))
                {
                    log($"{notebook.Name} cell {cell.Index}: parameters overridden with: {parameterOverrides}");
                    state = await RunSubmissionAsync(notebook, cell with { Source = parameterOverrides }, number, parameterOverrides, state, globals, null, log);
                    overridden = true;
                }
            }
        }
        finally
        {
            Console.SetOut(previousOut);
            Environment.CurrentDirectory = previousDirectory;
        }

        if (parameterOverrides is not null && !overridden)
        {
            throw new NotebookCellException($"{notebook.Name}: no code cell is tagged \"parameters\", so the parameters could not be set to: {parameterOverrides}", null);
        }

        return runs;
    }

    /// <summary>The packages named by a cell's <c>#r "nuget: name, version"</c> lines.</summary>
    public static IEnumerable<(string Name, string? Version)> NugetReferences(NotebookCell cell) =>
        cell.Source.Split('\n').Select(line => NugetDirective().Match(line)).Where(m => m.Success)
            .Select(m => (m.Groups["name"].Value.Trim(), m.Groups["version"].Success ? m.Groups["version"].Value.Trim() : null));

    private static async Task<ScriptState<object>> RunSubmissionAsync(
        Notebook notebook, NotebookCell cell, int number, string code, ScriptState<object>? state, NotebookGlobals globals, List<CellRun>? runs, Action<string> log)
    {
        var where = $"{notebook.Name}, cell {cell.Index} (code cell {number})";
        var output = new StringWriter();
        Console.SetOut(output);
        var shownBefore = globals.Displayed.Count;
        var clock = Stopwatch.StartNew();
        try
        {
            state = state is null
                ? await CSharpScript.RunAsync(code, Options.Value, globals, typeof(NotebookGlobals))
                : await state.ContinueWithAsync(code, Options.Value);
        }
        catch (CompilationErrorException e)
        {
            throw new NotebookCellException($"{where} does not compile:\n{string.Join("\n", e.Diagnostics)}\n--- cell source ---\n{cell.Source}", e);
        }
        catch (Exception e)
        {
            throw new NotebookCellException($"{where} threw {e.GetType().Name}: {e.Message}\n--- cell output (end) ---\n{Tail(output.ToString())}\n--- exception ---\n{e}", e);
        }
        finally
        {
            Console.Out.Flush();
        }

        if (state.ReturnValue is not null)
        {
            // A cell ending in an expression shows its value.
            globals.Displayed.Add(state.ReturnValue);
        }

        clock.Stop();
        var text = output.ToString();
        foreach (var shown in globals.Displayed.Skip(shownBefore))
        {
            output.WriteLine($"[displayed] {Describe(shown)}");
        }

        text = output.ToString();
        log($"--- {where}: {clock.Elapsed.TotalSeconds:F1}s, {globals.Displayed.Count - shownBefore} displayed ---{(text.Length > 0 ? "\n" + text.TrimEnd() : string.Empty)}");
        runs?.Add(new CellRun(cell, number, globals.Displayed.Skip(shownBefore).ToArray(), text, clock.Elapsed));
        return state;
    }

    // .NET Interactive resolves "#r nuget:" and "#i" itself; here the packages come from this build, so the lines
    // become blank (keeping line numbers). Anything else the kernel would treat as a magic command is refused.
    private static string TranslateDirectives(Notebook notebook, NotebookCell cell)
    {
        var lines = cell.Source.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimStart();
            if (NugetDirective().Match(lines[i]) is { Success: true } match)
            {
                var name = match.Groups["name"].Value.Trim();
                if (!Packages.ContainsKey(name))
                {
                    throw new NotebookCellException($"{notebook.Name}, cell {cell.Index}: package {name} is not one this test provides ({string.Join(", ", Packages.Keys)}); add it to the test project and to NotebookRunner.Packages", null);
                }

                lines[i] = string.Empty;
            }
            else if (line.StartsWith("#i ", StringComparison.Ordinal))
            {
                lines[i] = string.Empty;
            }
            else if (line.StartsWith("#!", StringComparison.Ordinal))
            {
                throw new NotebookCellException($"{notebook.Name}, cell {cell.Index}: magic command '{line}' is not supported by this test", null);
            }
        }

        return string.Join('\n', lines);
    }

    private static ScriptOptions CreateOptions()
    {
        // The framework, then every managed assembly of this build's output that a notebook's packages bring
        // (not the test machinery), all loaded here first so the script shares them with this process.
        var frameworkDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location);
        var buildDirectory = Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory);
        var candidates = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).Where(path =>
            Path.GetDirectoryName(path) == frameworkDirectory
            || (Path.GetDirectoryName(path) == buildDirectory && !IsTestMachinery(Path.GetFileName(path))));
        var assemblies = new List<Assembly>(Packages.Values);
        foreach (var path in candidates)
        {
            try
            {
                assemblies.Add(Assembly.Load(AssemblyName.GetAssemblyName(path)));
            }
            catch (Exception e) when (e is BadImageFormatException or FileLoadException or FileNotFoundException)
            {
                // Native libraries and assemblies this runtime cannot load are not references.
            }
        }

        return ScriptOptions.Default
            .WithReferences(assemblies.Distinct())
            .AddReferences(typeof(NotebookGlobals).Assembly)
            .WithImports(KernelImports)
            .WithOptimizationLevel(OptimizationLevel.Release)
            .WithEmitDebugInformation(false);
    }

    private static bool IsTestMachinery(string file) =>
        file.StartsWith("xunit", StringComparison.OrdinalIgnoreCase)
        || file.StartsWith("testhost", StringComparison.OrdinalIgnoreCase)
        || file.StartsWith("Microsoft.TestPlatform", StringComparison.OrdinalIgnoreCase)
        || file.StartsWith("Microsoft.VisualStudio", StringComparison.OrdinalIgnoreCase)
        || file.StartsWith("Microsoft.CodeAnalysis", StringComparison.OrdinalIgnoreCase)
        || file.StartsWith("Vae.MLNet.Notebooks.Tests", StringComparison.OrdinalIgnoreCase);

    private static string Describe(object? value)
    {
        var text = value switch
        {
            HtmlContent html => $"HTML, {html.Html.Length} characters",
            string s => s,
            System.Collections.IEnumerable items => string.Join("\n  ", items.Cast<object?>().Take(5).Select(item => item?.ToString())),
            _ => value?.ToString() ?? "null",
        };
        return text.Length <= 1000 ? text : text[..1000] + "...";
    }

    private static string Tail(string text) => text.Length <= 4000 ? text : "..." + text[^4000..];

    [GeneratedRegex("""^\s*#r\s+"nuget:\s*(?<name>[^,"]+)(,\s*(?<version>[^"]+))?"\s*$""")]
    private static partial Regex NugetDirective();
}
