namespace Vae.MLNet.Persistence;

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
