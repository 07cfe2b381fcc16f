using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using SkiaSharp;
using Xunit.Abstractions;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Vae.MLNet.Notebooks.Tests;

/// <summary>
/// The notebooks in examples/notebooks, run cell by cell with this build of the library. Notebooks that need a
/// data set find it in shared/data beside the repository (CI has it); when it is missing their test fails and says
/// which folder to provide.
/// </summary>
public sealed partial class NotebookTests(ITestOutputHelper output)
{
    /// <summary>
    /// Each notebook, the shared/data folder it reads (or none) and the values its parameters cell gets here:
    /// small settings that still exercise every cell, so that this project runs in a minute or two on two cores.
    /// </summary>
    public static readonly TheoryData<string, string?, string?> Notebooks = new()
    {
        { "quickstart.ipynb", null, "rowCount = 1500; epochs = 5;" },
        { "kl-sweep-mnist.ipynb", "mnist", "trainRows = 2000; testRows = 1000; epochs = 1; klWeights = [0, 1, 20];" },
        { "adult.ipynb", "adult", "trainRows = 8000; epochs = 2;" },
    };

    private static readonly Lazy<string> NotebookFolder = new(() =>
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Vae.MLNet.sln")))
            {
                return Path.Combine(directory.FullName, "examples", "notebooks");
            }
        }

        throw new DirectoryNotFoundException($"No Vae.MLNet.sln above {AppContext.BaseDirectory}");
    });

    [Fact]
    public void EveryNotebookInTheFolderIsRunHere()
    {
        var files = Directory.GetFiles(NotebookFolder.Value, "*.ipynb").Select(Path.GetFileName).Order().ToArray();
        var listed = Notebooks.Select(row => (string)row[0]).Order().ToArray();
        Assert.Equal(listed, files);
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void NotebookIsADotNetInteractiveCSharpNotebook(string name, string? dataFolder, string? parameters)
    {
        _ = (dataFolder, parameters);
        var notebook = Notebook.Load(Path.Combine(NotebookFolder.Value, name));
        var root = notebook.Root;
        Assert.Equal(4, root.GetProperty("nbformat").GetInt32());
        var kernelspec = root.GetProperty("metadata").GetProperty("kernelspec");
        Assert.Equal(".net-csharp", kernelspec.GetProperty("name").GetString());
        Assert.Equal("C#", kernelspec.GetProperty("language").GetString());

        var code = notebook.CodeCells.ToArray();
        Assert.NotEmpty(code);
        Assert.All(code, cell => Assert.True(cell.Language == "csharp", $"{name}, cell {cell.Index}: metadata.dotnet_interactive.language is '{cell.Language}', not 'csharp'"));
        foreach (var cell in root.GetProperty("cells").EnumerateArray().Where(c => c.GetProperty("cell_type").GetString() == "code"))
        {
            Assert.Equal(JsonValueKind.Array, cell.GetProperty("outputs").ValueKind);
            Assert.True(cell.TryGetProperty("execution_count", out _), $"{name}: a code cell has no execution_count");
        }

        Assert.Contains(notebook.Cells, cell => cell.Kind == "markdown");
        Assert.Single(code, cell => cell.Tags.Contains("parameters"));

        // The first cell loads this version of the library, as a user's notebook would.
        var version = typeof(VariationalAutoencoderOptions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];
        Assert.Contains(("Vae.MLNet", (string?)version), NotebookRunner.NugetReferences(code[0]));
        Assert.All(code.Skip(1), cell => Assert.Empty(NotebookRunner.NugetReferences(cell)));
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public async Task NotebookRunsAndShowsItsPlots(string name, string? dataFolder, string? parameters)
    {
        var path = Path.Combine(NotebookFolder.Value, name);
        if (dataFolder is not null)
        {
            var found = FindSharedData(dataFolder);
            Assert.True(found is not null, $"{name} needs the data folder shared/data/{dataFolder}, and no folder from {NotebookFolder.Value} upwards has it: put the shared/data folder beside the repository (CI has it there).");
            output.WriteLine($"{name}: data from {found}");
        }

        var runs = await NotebookRunner.RunAsync(Notebook.Load(path), parameters, output.WriteLine);
        output.WriteLine($"{name}: {runs.Count} code cells in {runs.Sum(r => r.Elapsed.TotalSeconds):F1}s");

        var images = 0;
        var imageFolder = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "notebook-images")).FullName;
        foreach (var run in runs)
        {
            var shown = run.Displayed.SelectMany(PngImages).ToArray();
            if (ShowsAPlot().IsMatch(run.Cell.Source))
            {
                Assert.True(shown.Length > 0, $"{name}, cell {run.Cell.Index}: calls ShowPlots but displayed no image");
            }

            foreach (var png in shown)
            {
                // Kept beside the test binaries for a look at what the notebook drew.
                File.WriteAllBytes(Path.Combine(imageFolder, $"{Path.GetFileNameWithoutExtension(name)}-cell{run.Cell.Index}-{images}.png"), png);
                AssertDrawn(png, $"{name}, cell {run.Cell.Index}");
                images++;
            }
        }

        Assert.True(images > 0, $"{name} displayed no image");
    }

    private static string? FindSharedData(string name)
    {
        for (var directory = new DirectoryInfo(NotebookFolder.Value); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "shared", "data", name);
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static IEnumerable<byte[]> PngImages(object? displayed) => displayed switch
    {
        HtmlContent html => PngDataUri().Matches(html.Html).Select(m => Convert.FromBase64String(m.Groups[1].Value)),
        byte[] bytes => [bytes],
        _ => [],
    };

    /// <summary>A PNG that decodes, has a plausible size and is not one flat colour.</summary>
    private static void AssertDrawn(byte[] png, string where)
    {
        using var bitmap = SKBitmap.Decode(png);
        Assert.True(bitmap is not null, $"{where}: displayed an image that is not a PNG");
        Assert.True(bitmap.Width >= 100 && bitmap.Height >= 100, $"{where}: image is only {bitmap.Width}x{bitmap.Height}");
        var background = bitmap.GetPixel(0, 0);
        var differing = 0;
        for (var y = 0; y < bitmap.Height; y += 2)
        {
            for (var x = 0; x < bitmap.Width; x += 2)
            {
                differing += bitmap.GetPixel(x, y) != background ? 1 : 0;
            }
        }

        var fraction = differing / (double)((bitmap.Width + 1) / 2 * ((bitmap.Height + 1) / 2));
        Assert.True(fraction > 0.01, $"{where}: image is blank ({fraction:P2} of its pixels differ from the background)");
    }

    [GeneratedRegex(@"(?<!void\s+)\bShowPlots\(")]
    private static partial Regex ShowsAPlot();

    [GeneratedRegex(@"data:image/png;base64,([A-Za-z0-9+/=]+)")]
    private static partial Regex PngDataUri();
}
