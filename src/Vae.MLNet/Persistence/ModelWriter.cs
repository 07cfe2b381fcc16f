using System.Runtime.InteropServices;

namespace Vae.MLNet.Persistence;

/// <summary>Writes the model's content, with the few forms every part of it shares. Every string (column names,
/// categories, missing-value texts, output names) is written as its UTF-16 code units, so any string a .NET string
/// can hold comes back bit for bit: a lone surrogate, which UTF-8 cannot carry, included.</summary>
internal sealed class ModelWriter(Stream output) : BinaryWriter(output, System.Text.Encoding.UTF8, leaveOpen: true)
{
    /// <summary>int length, then the UTF-16 code units.</summary>
    public override void Write(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        Write(value.Length);
        Write(MemoryMarshal.AsBytes(value.AsSpan()));
    }

    /// <summary>The values as they are, without their count (the reader knows it).</summary>
    public void WriteRaw(ReadOnlySpan<float> values) => Write(MemoryMarshal.AsBytes(values));

    /// <summary>int count, then the values.</summary>
    public void WriteFloats(ReadOnlySpan<float> values)
    {
        Write(values.Length);
        WriteRaw(values);
    }

    /// <summary>bool present, then the value when present.</summary>
    public void WriteOptional(double? value)
    {
        Write(value.HasValue);
        if (value is { } v)
        {
            Write(v);
        }
    }
}
