namespace Vae.MLNet.Notebooks.Tests;

/// <summary>
/// What .NET Interactive's C# kernel gives every cell (<c>display</c> and <c>HTML</c> from
/// <c>Microsoft.DotNet.Interactive.Kernel</c>), recording what the cells show instead of rendering it.
/// </summary>
public sealed class NotebookGlobals
{
    /// <summary>Everything displayed so far, in order: values passed to <c>display</c> and cells' trailing values.</summary>
    public List<object?> Displayed { get; } = [];

    /// <summary>Stands in for <c>Kernel.display</c>: records the value and returns it.</summary>
#pragma warning disable IDE1006 // The names are .NET Interactive's.
    public object? display(object? value, params string[] mimeTypes)
    {
        Displayed.Add(value);
        return value;
    }

    /// <summary>Stands in for <c>Kernel.HTML</c>: marks a string as HTML.</summary>
    public HtmlContent HTML(string content) => new(content);
#pragma warning restore IDE1006
}

/// <summary>HTML that a cell displays.</summary>
public sealed record HtmlContent(string Html)
{
    /// <inheritdoc />
    public override string ToString() => Html;
}
