using System.Text.Json;

namespace Vae.MLNet.Notebooks.Tests;

/// <summary>The runner itself: a failing cell is reported with its place, parameters are overridden, packages are checked.</summary>
public sealed class NotebookRunnerTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("notebook-runner-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task ACellThatThrowsIsReportedWithNotebookCellAndException()
    {
        var notebook = Write("throws.ipynb", ("markdown", "# Title", null), ("code", "#r \"nuget: Vae.MLNet, 0.1.0\"\nvar x = 1;", null), ("code", "if (x == 1) throw new InvalidOperationException(\"cell failed on purpose\");", null));

        var error = await Assert.ThrowsAsync<NotebookCellException>(() => NotebookRunner.RunAsync(notebook, null, _ => { }));

        Assert.Contains("throws.ipynb, cell 2 (code cell 2)", error.Message);
        Assert.Contains("InvalidOperationException: cell failed on purpose", error.Message);
    }

    [Fact]
    public async Task ACellThatDoesNotCompileIsReportedWithTheCompilerMessage()
    {
        var notebook = Write("broken.ipynb", ("code", "var y = undefinedName;", null));

        var error = await Assert.ThrowsAsync<NotebookCellException>(() => NotebookRunner.RunAsync(notebook, null, _ => { }));

        Assert.Contains("broken.ipynb, cell 0 (code cell 1) does not compile", error.Message);
        Assert.Contains("undefinedName", error.Message);
    }

    [Fact]
    public async Task ParametersCellIsOverriddenAndDisplayIsRecorded()
    {
        var notebook = Write("parameters.ipynb", ("code", "var rows = 1000;", "parameters"), ("code", "display(HTML($\"<b>{rows}</b>\"));\nrows * 2", null));

        var runs = await NotebookRunner.RunAsync(notebook, "rows = 7;", _ => { });

        Assert.Equal(2, runs.Count);
        Assert.Equal([new HtmlContent("<b>7</b>"), 14], runs[1].Displayed);
    }

    [Fact]
    public async Task OverridesWithoutAParametersCellAreRefused()
    {
        var notebook = Write("untagged.ipynb", ("code", "var rows = 1000;", null));

        var error = await Assert.ThrowsAsync<NotebookCellException>(() => NotebookRunner.RunAsync(notebook, "rows = 7;", _ => { }));

        Assert.Contains("no code cell is tagged \"parameters\"", error.Message);
    }

    [Fact]
    public async Task APackageThisBuildDoesNotProvideIsNamed()
    {
        var notebook = Write("package.ipynb", ("code", "#r \"nuget: Some.Other.Package, 1.0.0\"", null));

        var error = await Assert.ThrowsAsync<NotebookCellException>(() => NotebookRunner.RunAsync(notebook, null, _ => { }));

        Assert.Contains("package Some.Other.Package is not one this test provides", error.Message);
    }

    private Notebook Write(string name, params (string Kind, string Source, string? Tag)[] cells)
    {
        var document = new
        {
            cells = cells.Select(c => c.Kind == "code"
                ? (object)new
                {
                    cell_type = "code",
                    execution_count = (int?)null,
                    metadata = new { dotnet_interactive = new { language = "csharp" }, tags = c.Tag is null ? Array.Empty<string>() : [c.Tag] },
                    outputs = Array.Empty<object>(),
                    source = c.Source,
                }
                : new { cell_type = "markdown", metadata = new { }, source = c.Source }),
            metadata = new { kernelspec = new { display_name = ".NET (C#)", language = "C#", name = ".net-csharp" } },
            nbformat = 4,
            nbformat_minor = 4,
        };
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, JsonSerializer.Serialize(document));
        return Notebook.Load(path);
    }
}
