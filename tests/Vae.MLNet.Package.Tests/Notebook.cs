using System.Text.Json;

namespace Vae.MLNet.Package.Tests;

/// <summary>A cell of a notebook file: its position among all cells, kind, language, tags and source.</summary>
public sealed record NotebookCell(int Index, string Kind, string? Language, IReadOnlyList<string> Tags, string Source);

/// <summary>An .ipynb file read as JSON.</summary>
public sealed class Notebook
{
    private Notebook(string path, JsonElement root, IReadOnlyList<NotebookCell> cells)
    {
        Path = path;
        Root = root;
        Cells = cells;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>The file name.</summary>
    public string Name => System.IO.Path.GetFileName(Path);

    /// <summary>The whole document.</summary>
    public JsonElement Root { get; }

    /// <summary>Every cell, markdown included, in file order.</summary>
    public IReadOnlyList<NotebookCell> Cells { get; }

    /// <summary>The code cells in order.</summary>
    public IEnumerable<NotebookCell> CodeCells => Cells.Where(c => c.Kind == "code");

    /// <summary>Reads a notebook; throws <see cref="JsonException"/> when the file is not JSON.</summary>
    public static Notebook Load(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var root = document.RootElement.Clone();
        var cells = new List<NotebookCell>();
        var index = 0;
        foreach (var cell in root.GetProperty("cells").EnumerateArray())
        {
            var metadata = cell.TryGetProperty("metadata", out var m) ? m : default;
            string? language = null;
            var tags = new List<string>();
            if (metadata.ValueKind == JsonValueKind.Object)
            {
                if (metadata.TryGetProperty("dotnet_interactive", out var interactive) && interactive.TryGetProperty("language", out var lang))
                {
                    language = lang.GetString();
                }

                if (metadata.TryGetProperty("tags", out var tagArray))
                {
                    tags.AddRange(tagArray.EnumerateArray().Select(t => t.GetString() ?? string.Empty));
                }
            }

            var source = cell.GetProperty("source");
            var text = source.ValueKind == JsonValueKind.Array
                ? string.Concat(source.EnumerateArray().Select(s => s.GetString()))
                : source.GetString() ?? string.Empty;
            cells.Add(new NotebookCell(index++, cell.GetProperty("cell_type").GetString() ?? string.Empty, language, tags, text));
        }

        return new Notebook(path, root, cells);
    }
}
