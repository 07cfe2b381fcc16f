using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SkiaSharp;
using Xunit.Abstractions;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Vae.MLNet.Package.Tests;

/// <summary>
/// The notebooks in examples/notebooks, each run whole in the real .NET Interactive kernel (dotnet-repl) with the
/// fresh pack of the library, as a user's notebook would load it, and small parameters. The executed notebooks, with
/// their outputs, are kept beside the test binaries in executed-notebooks/. A notebook fails on any error output, on a
/// plot cell without an image the kernel renders, and on figures out of range. Notebooks that need a data set find it
/// in shared/data beside the repository (CI has it); when it is missing their test fails and says which folder to
/// provide.
/// </summary>
[Collection(PackedLibraryCollection.Name)]
public sealed partial class NotebookTests(PackedLibrary pack, ITestOutputHelper output)
{
    /// <summary>
    /// Each notebook, the shared/data folder it reads (or none) and the values its parameters cell gets here:
    /// small settings that still exercise every cell, so that this project runs in a few minutes on two cores.
    /// </summary>
    public static readonly TheoryData<string, string?, string?> Notebooks = new()
    {
        { "quickstart.ipynb", null, "rowCount = 1500; epochs = 5;" },
        { "kl-sweep-mnist.ipynb", "mnist", "trainRows = 2000; testRows = 1000; epochs = 1; klWeights = [0, 1, 20];" },
        { "adult.ipynb", "adult", "trainRows = 8000; epochs = 2;" },
    };

    private static readonly string NotebookFolder = Path.Combine(Repository.Root, "examples", "notebooks");

    private static readonly Lazy<Task<(int ExitCode, string Output)>> ToolRestore = new(() =>
        Repository.Dotnet(Repository.Root, TimeSpan.FromMinutes(5), null, "tool", "restore"));

    [Fact]
    public void EveryNotebookInTheFolderIsRunHere()
    {
        var files = Directory.GetFiles(NotebookFolder, "*.ipynb").Select(Path.GetFileName).Order().ToArray();
        var listed = Notebooks.Select(row => (string)row[0]).Order().ToArray();
        Assert.Equal(listed, files);
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void NotebookIsADotNetInteractiveCSharpNotebook(string name, string? dataFolder, string? parameters)
    {
        _ = (dataFolder, parameters);
        var notebook = Notebook.Load(Path.Combine(NotebookFolder, name));
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

        // The first cell loads this version of the library and the ML.NET release the repository is tested on.
        var version = typeof(VariationalAutoencoderOptions).Assembly.GetName().Version!;
        var references = NugetReferences(code[0]).ToArray();
        Assert.Contains(("Vae.MLNet", (string?)$"{version.Major}.{version.Minor}.{version.Build}"), references);
        Assert.Contains(("Microsoft.ML", (string?)"6.0.0"), references);
        Assert.All(references.Where(r => r.Name.StartsWith("Microsoft.ML.", StringComparison.Ordinal)), r => Assert.Equal("6.0.0", r.Version));
        Assert.All(code.Skip(1), cell => Assert.Empty(NugetReferences(cell)));
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public async Task NotebookRunsGreenInTheKernelWithItsPlotsAsImages(string name, string? dataFolder, string? parameters)
    {
        if (dataFolder is not null)
        {
            var found = FindSharedData(dataFolder);
            Assert.True(found is not null, $"{name} needs the data folder shared/data/{dataFolder}, and no folder from {NotebookFolder} upwards has it: put the shared/data folder beside the repository (CI has it there).");
            output.WriteLine($"{name}: data from {found}");
        }

        var restore = await ToolRestore.Value;
        Assert.True(restore.ExitCode == 0, $"dotnet tool restore failed:\n{restore.Output}");

        var work = Directory.CreateTempSubdirectory("vae-notebook-").FullName;
        try
        {
            var copy = Path.Combine(work, name);
            File.WriteAllText(copy, ForThisPack(Path.Combine(NotebookFolder, name), parameters));
            var executed = Path.Combine(work, "executed-" + name);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            // Run from the notebooks' folder, as a user opening them there would: they find shared/data above it.
            var (exitCode, printed) = await Repository.Dotnet(NotebookFolder, TimeSpan.FromMinutes(10), null,
                "tool", "run", "dotnet-repl", "--", "--run", copy, "--exit-after-run", "--output-path", executed);
            output.WriteLine($"{name}: dotnet-repl exited with {exitCode} after {clock.Elapsed.TotalSeconds:F0} s");
            Assert.True(File.Exists(executed), $"{name}: the kernel wrote no executed notebook (exit code {exitCode}):\n{printed}");

            var kept = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "executed-notebooks")).FullName;
            File.Copy(executed, Path.Combine(kept, name), overwrite: true);
            var cells = ExecutedCells(executed);
            foreach (var cell in cells)
            {
                output.WriteLine($"--- cell {cell.Index}: {cell.Outputs.Count} outputs, {cell.Images.Count} images{(cell.Text.Length > 0 ? "\n" + cell.Text.TrimEnd() : string.Empty)}");
            }

            foreach (var cell in cells)
            {
                Assert.True(cell.Errors.Count == 0, $"{name}, cell {cell.Index} failed in the kernel:\n{string.Join("\n", cell.Errors)}\n--- cell source ---\n{cell.Source}");
            }

            Assert.True(exitCode == 0, $"{name}: dotnet-repl exited with {exitCode}:\n{printed}");
            Assert.All(cells, cell => Assert.True(cell.Executed, $"{name}, cell {cell.Index} did not run"));

            var images = 0;
            foreach (var cell in cells)
            {
                if (ShowsAPlot().IsMatch(cell.Source))
                {
                    Assert.True(cell.Images.Count > 0, $"{name}, cell {cell.Index}: calls ShowPlots but the kernel rendered no image/png or image/svg+xml output");
                }

                foreach (var (mime, data) in cell.Images)
                {
                    if (mime == "image/png")
                    {
                        var png = Convert.FromBase64String(data);
                        File.WriteAllBytes(Path.Combine(kept, $"{Path.GetFileNameWithoutExtension(name)}-cell{cell.Index}-{images}.png"), png);
                        AssertDrawn(png, $"{name}, cell {cell.Index}");
                    }
                    else
                    {
                        Assert.Contains("<svg", data, StringComparison.Ordinal);
                    }

                    images++;
                }
            }

            Assert.True(images > 0, $"{name} showed no image");
            FiguresInRange(name, string.Join("\n", cells.Select(c => c.Text)));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>The figures each notebook prints, within what its small settings give (and far from chance).</summary>
    private static void FiguresInRange(string name, string text)
    {
        switch (name)
        {
            case "quickstart.ipynb":
                Assert.InRange(Figure(text, @"VAE latent means, 2 features\s+(\S+)"), 0.5, 1.0);
                Assert.InRange(Figure(text, @"PCA, 2 components\s+(\S+)"), 0.3, 1.0);
                Assert.InRange(Figure(text, @"all raw columns, 13 features\s+(\S+)"), 0.5, 1.0);
                Assert.InRange(Figure(text, @"KL: (\S+) nats"), 0.1, 50);
                Assert.InRange(Figure(text, @"Active units: (\d+) of 2"), 1, 2);
                Assert.InRange(Figure(text, @"score\s+(\S+):"), 0, 1000);
                break;
            case "adult.ipynb":
                Assert.InRange(Figure(text, @"VAE latent, 8 features\s+(\S+)"), 0.75, 1.0);
                Assert.InRange(Figure(text, @"VAE latent, 8 features\s+\S+\s+(\S+)"), 0.3, 1.0);
                Assert.InRange(Figure(text, @"PCA, 8 components\s+(\S+)"), 0.75, 1.0);
                Assert.InRange(Figure(text, @"all raw columns\s+(\S+)"), 0.85, 1.0);
                break;
            case "kl-sweep-mnist.ipynb":
                var rows = SweepRow().Matches(text).Select(m => (
                    Beta: Parse(m.Groups["beta"].Value), Reconstruction: Parse(m.Groups["recon"].Value), Kl: Parse(m.Groups["kl"].Value),
                    Active: Parse(m.Groups["active"].Value), NegElbo: Parse(m.Groups["elbo"].Value))).ToArray();
                Assert.Equal([0.0, 1.0, 20.0], rows.Select(r => r.Beta));
                Assert.All(rows, r => Assert.InRange(r.Reconstruction, 50, 600)); // a training epoch's mean, from the first batch on
                Assert.All(rows, r => Assert.InRange(r.Kl, 0, 100));
                Assert.All(rows, r => Assert.InRange(r.Active, 0, 2));
                Assert.All(rows, r => Assert.InRange(r.NegElbo, 50, 400));
                Assert.True(rows[^1].Kl < rows[0].Kl, $"the KL at weight 20 ({rows[^1].Kl}) is not below the KL at weight 0 ({rows[0].Kl})");
                Assert.True(rows[1].NegElbo < rows[^1].NegElbo, $"the test negative ELBO at weight 1 ({rows[1].NegElbo}) is not below the one at weight 20 ({rows[^1].NegElbo})");
                break;
            default:
                Assert.Fail($"{name}: no figures are checked");
                break;
        }
    }

    private static double Figure(string text, string pattern)
    {
        var match = Regex.Match(text, pattern);
        Assert.True(match.Success, $"no figure matching '{pattern}' in the notebook's output:\n{text}");
        return Parse(match.Groups[1].Value);
    }

    private static double Parse(string value) => double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>The notebook as this test runs it: the first cell takes the fresh pack from its folder, and the
    /// parameters cell ends with the small settings.</summary>
    private string ForThisPack(string path, string? parameters)
    {
        var document = JsonNode.Parse(File.ReadAllText(path))!;
        var cells = document["cells"]!.AsArray().Where(c => (string?)c!["cell_type"] == "code").ToArray();
        var first = cells.First(c => Source(c!).Contains("nuget: Vae.MLNet", StringComparison.Ordinal))!;
        var source = VaeMLNetReference().Replace(Source(first), $"#r \"nuget: Vae.MLNet, {pack.Version}\"");
        first["source"] = $"#i \"nuget: {pack.Folder}\"\n{source}";
        if (parameters is not null)
        {
            var tagged = cells.Single(c => c!["metadata"]?["tags"]?.AsArray().Any(t => (string?)t == "parameters") == true)!;
            tagged["source"] = Source(tagged) + "\n" + parameters;
        }

        return document.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static string Source(JsonNode cell) => cell["source"] is JsonArray lines
        ? string.Concat(lines.Select(l => (string?)l))
        : (string?)cell["source"] ?? string.Empty;

    private sealed record ExecutedCell(int Index, string Source, IReadOnlyList<JsonNode> Outputs, IReadOnlyList<string> Errors,
        IReadOnlyList<(string Mime, string Data)> Images, string Text, bool Executed);

    private static List<ExecutedCell> ExecutedCells(string path)
    {
        var document = JsonNode.Parse(File.ReadAllText(path))!;
        var result = new List<ExecutedCell>();
        var index = -1;
        foreach (var cell in document["cells"]!.AsArray())
        {
            index++;
            if ((string?)cell!["cell_type"] != "code")
            {
                continue;
            }

            var outputs = cell["outputs"]?.AsArray().Select(o => o!).ToArray() ?? [];
            var errors = outputs.Where(o => (string?)o["output_type"] == "error")
                .Select(o => $"{o["ename"]}: {o["evalue"]}").ToList();
            errors.AddRange(outputs.Where(o => (string?)o["output_type"] == "stream" && (string?)o["name"] == "stderr").Select(o => "stderr: " + Joined(o["text"])));
            var images = outputs.Where(o => o["data"] is JsonObject).SelectMany(o => o["data"]!.AsObject())
                .Where(d => d.Key is "image/png" or "image/svg+xml").Select(d => (d.Key, Joined(d.Value).Replace("\n", string.Empty, StringComparison.Ordinal))).ToList();
            var text = string.Concat(outputs.Where(o => (string?)o["output_type"] == "stream").Select(o => Joined(o["text"])));
            var executed = cell["metadata"]?["dotnet_repl_cellExecutionEndTime"] is not null;
            result.Add(new ExecutedCell(index, Source(cell), outputs, errors, images, text, executed));
        }

        return result;
    }

    private static string Joined(JsonNode? node) => node switch
    {
        JsonArray lines => string.Concat(lines.Select(l => (string?)l)),
        null => string.Empty,
        _ => (string?)node ?? string.Empty,
    };

    /// <summary>The packages named by a cell's <c>#r "nuget: name, version"</c> lines.</summary>
    private static IEnumerable<(string Name, string? Version)> NugetReferences(NotebookCell cell) =>
        cell.Source.Split('\n').Select(line => NugetDirective().Match(line)).Where(m => m.Success)
            .Select(m => (m.Groups["name"].Value.Trim(), m.Groups["version"].Success ? m.Groups["version"].Value.Trim() : null));

    private static string? FindSharedData(string name)
    {
        for (var directory = new DirectoryInfo(NotebookFolder); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "shared", "data", name);
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>A PNG that decodes, has a plausible size and is not one flat colour.</summary>
    private static void AssertDrawn(byte[] png, string where)
    {
        using var bitmap = SKBitmap.Decode(png);
        Assert.True(bitmap is not null, $"{where}: showed an image that is not a PNG");
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

    [GeneratedRegex(@"#r\s+""nuget:\s*Vae\.MLNet(,[^""]*)?""")]
    private static partial Regex VaeMLNetReference();

    [GeneratedRegex("""^\s*#r\s+"nuget:\s*(?<name>[^,"]+)(,\s*(?<version>[^"]+))?"\s*$""")]
    private static partial Regex NugetDirective();

    [GeneratedRegex(@"^(?<beta>[0-9.]+)\s+(?<recon>[0-9.]+)\s+(?<kl>[0-9.]+)\s+(?<active>\d+)\s+(?<elbo>[0-9.]+)\s*$", RegexOptions.Multiline)]
    private static partial Regex SweepRow();
}
