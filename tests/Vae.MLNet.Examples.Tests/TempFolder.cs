namespace Vae.MLNet.Examples.Tests;

/// <summary>A fresh folder for one test's output, deleted afterwards.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "vae-examples-" + Guid.NewGuid().ToString("N")[..12]);

    public string this[string file] => System.IO.Path.Combine(Path, file);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Leave it to the system's temp cleaning.
        }
    }
}

/// <summary>The example runs use most of the machine's cores: one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ExampleCollection
{
    public const string Name = "Examples";
}
