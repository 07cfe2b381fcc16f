namespace Vae.MLNet.Persistence;

/// <summary>Writes the model's content. Every string (column names, categories, missing-value texts) is written as
/// its UTF-16 code units, so any string a .NET string can hold comes back bit for bit: a lone surrogate, which UTF-8
/// cannot carry, included.</summary>
internal sealed class ModelWriter(Stream output) : BinaryWriter(output, System.Text.Encoding.UTF8, leaveOpen: true)
{
    public override void Write(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        Write(value.Length);
        Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(value.AsSpan()));
    }
}
