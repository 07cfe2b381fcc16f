using System.Runtime.InteropServices;
using Vae.MLNet.Persistence;

namespace Vae.MLNet.Columns;

/// <summary>One input column as fitted: its span in the encoded vector and what was learned to encode it.</summary>
internal sealed class EncodedColumn
{
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _textLookup;

    public EncodedColumn(
        string name, VaeColumnKind kind, double weight, SourceType source, int offset, int width,
        float[] means, float[] stds, string[] categories)
    {
        Name = name;
        Kind = kind;
        Weight = weight;
        Source = source;
        Offset = offset;
        Width = width;
        Means = means;
        Stds = stds;
        InverseStds = stds.Select(s => 1f / s).ToArray();
        Categories = categories;
        if (kind == VaeColumnKind.Categorical && source.Item == ItemKind.Text)
        {
            // The last position is the bucket for unseen and capped categories.
            var index = new Dictionary<string, int>(categories.Length, StringComparer.Ordinal);
            for (var i = 0; i < categories.Length - 1; i++)
            {
                index[categories[i]] = i;
            }

            _textLookup = index.GetAlternateLookup<ReadOnlySpan<char>>();
        }
    }

    public string Name { get; }

    public VaeColumnKind Kind { get; }

    public double Weight { get; }

    public SourceType Source { get; }

    public int Offset { get; }

    public int Width { get; }

    /// <summary>Numeric: mean per feature.</summary>
    public float[] Means { get; }

    /// <summary>Numeric: standard deviation per feature, 1 where the feature was constant.</summary>
    public float[] Stds { get; }

    /// <summary>1 / <see cref="Stds"/>: standardisation multiplies by it (a vector division costs several times more).</summary>
    public float[] InverseStds { get; }

    /// <summary>Categorical: the name of each one-hot position.</summary>
    public string[] Categories { get; }

    /// <summary>Numeric: the smallest observed value of each feature (empty when unknown).</summary>
    public float[] Minimums { get; init; } = [];

    /// <summary>Numeric: the largest observed value of each feature (empty when unknown).</summary>
    public float[] Maximums { get; init; } = [];

    /// <summary>Numeric: the decimal places every observed value of each feature fits in (0 for whole numbers, at
    /// most 4), or -1 where values have more (empty when unknown).</summary>
    public sbyte[] Decimals { get; init; } = [];

    /// <summary>Numeric: the mode-specific encoding of a scalar column, or null for plain standardisation. Its span
    /// is then the standardised value, the place within the value's component, and the components' one-hot: the model
    /// reconstructs the number both as it is (so that the latent code follows its magnitude, as for a standardised
    /// column) and by its mode (what decoding and generation read, so that point masses and modes come back).</summary>
    public NumericModes? Modes { get; init; }

    /// <summary>The numeric features of the column's span (each with a squared-error or Gaussian term, a learned
    /// variance and a noise level): a numeric column's values, or a mode-specific column's standardised value and
    /// place; 0 for other kinds.</summary>
    public int NumericFeatures => Kind != VaeColumnKind.Numeric ? 0 : Modes is null ? Width : 2;

    /// <summary>The values the column holds per row: a numeric or binary column's vector size (1 for a scalar), 1
    /// for a categorical column. Each has one missing-value indicator and, numeric, one noise level.</summary>
    public int ValueCount => Kind == VaeColumnKind.Categorical ? 1 : Source.ItemCount;

    /// <summary>Categorical: how many leading one-hot positions are categories seen at fit. A text column's last
    /// position is the bucket of other values, which is no value of the data.</summary>
    public int SeenCategories => Source.Item == ItemKind.Text ? Width - 1 : Width;

    /// <summary>Text categorical: the one-hot position of a value (the last one for anything unseen at fit).</summary>
    public int CategoryOf(ReadOnlySpan<char> text) =>
        _textLookup.TryGetValue(text, out var position) ? position : Width - 1;

    public VaeColumnInfo ToInfo() => new(
        Name, Kind, Weight, Offset, Width,
        Array.AsReadOnly(Means), Array.AsReadOnly(Stds), Array.AsReadOnly(Categories))
    {
        NumericEncoding = Kind != VaeColumnKind.Numeric ? VaeNumericEncoding.Auto : Modes is null ? VaeNumericEncoding.Standardize : VaeNumericEncoding.ModeSpecific,
        PointMasses = Array.AsReadOnly(Modes?.Points ?? []),
        ModeCount = Modes?.Means.Length ?? 0,
    };

    public void Write(ModelWriter writer)
    {
        writer.Write(Name);
        writer.Write((byte)Kind);
        writer.Write(Weight);
        writer.Write((byte)Source.Item);
        writer.Write((byte)Source.KeyRaw);
        writer.Write(Source.KeyCount);
        writer.Write(Source.VectorSize);
        writer.Write(Offset);
        writer.Write(Width);
        writer.WriteFloats(Means);
        writer.WriteFloats(Stds);
        writer.Write(Categories.Length);
        foreach (var category in Categories)
        {
            writer.Write(category);
        }

        writer.WriteFloats(Minimums);
        writer.WriteFloats(Maximums);
        writer.Write(Decimals.Length);
        writer.Write(MemoryMarshal.AsBytes(Decimals.AsSpan()));
        writer.Write(Modes is not null);
        Modes?.Write(writer);
    }

    /// <param name="reader">The model's content.</param>
    /// <param name="withModes">Whether the format has the mode-specific encoding (0x00010004 on).</param>
    public static EncodedColumn Read(ModelReader reader, bool withModes)
    {
        var name = reader.ReadString();
        var kind = (VaeColumnKind)reader.ReadByte();
        var weight = reader.ReadDouble();
        var source = new SourceType((ItemKind)reader.ReadByte(), (ItemKind)reader.ReadByte(), reader.ReadUInt64(), reader.ReadInt32());
        var offset = reader.ReadInt32();
        var width = reader.ReadInt32();
        var means = reader.ReadFloats("vector length");
        var stds = reader.ReadFloats("vector length");
        var categories = new string[ModelFormat.CheckCount(reader.ReadInt32(), "category count")];
        for (var i = 0; i < categories.Length; i++)
        {
            categories[i] = reader.ReadString();
        }

        var minimums = reader.ReadFloats("vector length");
        var maximums = reader.ReadFloats("vector length");
        var decimals = new sbyte[ModelFormat.CheckCount(reader.ReadInt32(), "decimals count")];
        reader.ReadExactly(MemoryMarshal.AsBytes(decimals.AsSpan()));
        var modes = withModes && reader.ReadBoolean() ? NumericModes.Read(reader, name) : null;
        var values = kind == VaeColumnKind.Categorical ? 1 : source.ItemCount;
        ModelFormat.Check(
            minimums.Length == maximums.Length && (minimums.Length == 0 || minimums.Length == values) && (decimals.Length == 0 || decimals.Length == values),
            $"column '{name}' has inconsistent ranges");

        ModelFormat.Check(kind is VaeColumnKind.Numeric or VaeColumnKind.Categorical or VaeColumnKind.Binary, $"column '{name}' has an unknown kind");
        ModelFormat.Check(Enum.IsDefined(source.Item) && source.VectorSize >= 0 && width > 0 && offset >= 0, $"column '{name}' has an invalid type or span");
        ModelFormat.Check(
            modes is null ? kind == VaeColumnKind.Categorical || width == values : kind == VaeColumnKind.Numeric && !source.IsVector && width == 2 + modes.Count,
            $"column '{name}' has a span that does not fit its type");
        ModelFormat.Check(kind != VaeColumnKind.Numeric || (means.Length == values && stds.Length == values), $"column '{name}' has inconsistent statistics");
        ModelFormat.Check(kind != VaeColumnKind.Categorical || categories.Length == width, $"column '{name}' has inconsistent categories");
        return new EncodedColumn(name, kind, weight, source, offset, width, means, stds, categories)
        {
            Minimums = minimums,
            Maximums = maximums,
            Decimals = decimals,
            Modes = modes,
        };
    }
}
