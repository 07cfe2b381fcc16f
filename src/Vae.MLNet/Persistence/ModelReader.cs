using System.Runtime.InteropServices;

namespace Vae.MLNet.Persistence;

/// <summary>Reads the model's content as <see cref="ModelWriter"/> writes it (strings as UTF-16 code units) or, for
/// content of format 0x00010001, with its strings in UTF-8. Content that ends early throws
/// <see cref="EndOfStreamException"/> (which the loader reports as a file that ends early), an implausible count
/// <see cref="InvalidDataException"/>.</summary>
/// <param name="input">The content.</param>
/// <param name="utf16Strings">Strings are UTF-16 code units (0x00010003 on), not UTF-8.</param>
/// <param name="withModes">Numeric columns may have a mode-specific encoding (0x00010004 on).</param>
internal sealed class ModelReader(Stream input, bool utf16Strings, bool withModes = true) : BinaryReader(input, System.Text.Encoding.UTF8)
{
    /// <summary>Whether numeric columns may have a mode-specific encoding (format 0x00010004 on).</summary>
    public bool WithModes => withModes;

    public override string ReadString()
    {
        if (!utf16Strings)
        {
            return base.ReadString();
        }

        var length = ModelFormat.CheckCount(ReadInt32(), "string length");
        return string.Create(length, this, static (chars, reader) => reader.ReadExactly(MemoryMarshal.AsBytes(chars)));
    }

    /// <summary>Fills <paramref name="values"/> (written by <see cref="ModelWriter.WriteRaw"/>).</summary>
    public void ReadRaw(Span<float> values) => ReadExactly(MemoryMarshal.AsBytes(values));

    /// <summary>A count, then that many floats (written by <see cref="ModelWriter.WriteFloats"/>).</summary>
    public float[] ReadFloats(string what)
    {
        var values = new float[ModelFormat.CheckCount(ReadInt32(), what)];
        ReadRaw(values);
        return values;
    }

    /// <summary>A value written by <see cref="ModelWriter.WriteOptional"/>.</summary>
    public double? ReadOptionalDouble() => ReadBoolean() ? ReadDouble() : null;
}
