namespace Vae.MLNet.Columns;

/// <summary>Checks while reading a saved model: a damaged file gives one clear exception type.</summary>
internal static class ModelFormat
{
    public static void Check(bool condition, string problem)
    {
        if (!condition)
        {
            throw new InvalidDataException($"The saved variational autoencoder is corrupt or incompatible: {problem}.");
        }
    }

    public static int CheckCount(int count, string what, int max = 1 << 28)
    {
        Check(count >= 0 && count <= max, $"{what} {count} is out of range");
        return count;
    }
}

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

/// <summary>Reads the model's content; strings as <see cref="ModelWriter"/> writes them, or, in content of format
/// version 2, as UTF-8.</summary>
internal sealed class ModelReader(Stream input, bool utf16Strings) : BinaryReader(input, System.Text.Encoding.UTF8)
{
    public override string ReadString()
    {
        if (!utf16Strings)
        {
            return base.ReadString();
        }

        var length = ModelFormat.CheckCount(ReadInt32(), "string length");
        return string.Create(length, this, static (chars, reader) =>
        {
            var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(chars);
            ModelFormat.Check(reader.Read(bytes) == bytes.Length, "the file ends early");
        });
    }
}
