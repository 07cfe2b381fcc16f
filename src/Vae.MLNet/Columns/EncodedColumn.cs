using System.Runtime.InteropServices;
using Vae.MLNet.Persistence;

namespace Vae.MLNet.Columns;

/// <summary>One input column as fitted: its span in the encoded vector and what was learned to encode it.</summary>
internal sealed class EncodedColumn
{
    private Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _textLookup;

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

    /// <summary>The most likely value of numeric or binary feature <paramref name="slot"/> given the decoder's output
    /// for it: the de-standardised number, within the range seen at fit (so never beyond what the column's type can
    /// hold); for a binary feature the probability of 1 in a floating-point column, else 0 or 1.</summary>
    public double MostLikely(int slot, float output)
    {
        if (Kind != VaeColumnKind.Binary)
        {
            return WithinRange(slot, (output * (double)Stds[slot]) + Means[slot]);
        }

        var p = Probability(output);
        return Source.Item is ItemKind.Single or ItemKind.Double ? p : (p >= 0.5 ? 1 : 0);
    }

    /// <summary>The probability of 1 behind a binary feature's logit.</summary>
    public static double Probability(float logit) => 1 / (1 + Math.Exp(-logit));

    /// <summary>A generated value of feature <paramref name="slot"/> made to look like the data: clipped to the observed
    /// range and rounded to the observed decimal places.</summary>
    public double LikeObserved(int slot, double value)
    {
        value = WithinRange(slot, value);
        return Decimals.Length > 0 && Decimals[slot] >= 0 ? Math.Round(value, Decimals[slot], MidpointRounding.AwayFromZero) : value;
    }

    /// <summary>A decoded number clipped to the range of feature <paramref name="slot"/> seen at fit (where no value of
    /// it was observed, to the range of a float).</summary>
    private double WithinRange(int slot, double value) => Minimums.Length > 0
        ? Math.Clamp(value, Minimums[slot], Maximums[slot])
        : Math.Clamp(value, float.MinValue, float.MaxValue);

    /// <summary>Categorical: how many leading one-hot positions decoding may give. A text column's last position is
    /// the bucket of other values, which is no value of the data: decoded, reconstructed, imputed and generated
    /// categories are always categories seen at fit (the bucket only where no category was seen at all).</summary>
    private int DecodableCategories => Source.Item == ItemKind.Text && Width > 1 ? Width - 1 : Width;

    /// <summary>Categorical: the most likely decodable category given the decoder's logits for the column.</summary>
    public int MostLikelyCategory(ReadOnlySpan<float> logits)
    {
        var best = 0;
        for (var k = 1; k < DecodableCategories; k++)
        {
            if (logits[k] > logits[best])
            {
                best = k;
            }
        }

        return best;
    }

    /// <summary>Categorical: a category drawn from the decoder's softmax over the decodable categories.</summary>
    /// <param name="logits">The decoder's logits for the column.</param>
    /// <param name="probabilities">Scratch of at least the column's width.</param>
    /// <param name="random">The source of the draw.</param>
    public int DrawCategory(ReadOnlySpan<float> logits, Span<double> probabilities, Random random)
    {
        var count = DecodableCategories;
        var max = logits[MostLikelyCategory(logits)];
        double sum = 0;
        for (var k = 0; k < count; k++)
        {
            probabilities[k] = Math.Exp(logits[k] - max);
            sum += probabilities[k];
        }

        var u = random.NextDouble() * sum;
        for (var k = 0; k < count; k++)
        {
            u -= probabilities[k];
            if (u <= 0)
            {
                return k;
            }
        }

        return count - 1;
    }

    /// <summary>The factor on each of this column's per-feature reconstruction terms. Sum: the column's weight on
    /// every term. ColumnMean: the terms are averaged over the column's width, so the column counts once.</summary>
    public float LossScale(VaeReconstructionReduction reduction) =>
        (float)(reduction == VaeReconstructionReduction.ColumnMean ? Weight / Width : Weight);

    /// <summary>Text categorical: the one-hot position of a value (the last one for anything unseen at fit).</summary>
    public int CategoryOf(ReadOnlySpan<char> text) =>
        _textLookup.TryGetValue(text, out var position) ? position : Width - 1;

    public VaeColumnInfo ToInfo() => new(
        Name, Kind, Weight, Offset, Width,
        Array.AsReadOnly(Means), Array.AsReadOnly(Stds), Array.AsReadOnly(Categories));

    public void Write(BinaryWriter writer)
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
        WriteFloats(writer, Means);
        WriteFloats(writer, Stds);
        writer.Write(Categories.Length);
        foreach (var category in Categories)
        {
            writer.Write(category);
        }

        WriteFloats(writer, Minimums);
        WriteFloats(writer, Maximums);
        writer.Write(Decimals.Length);
        writer.Write(MemoryMarshal.AsBytes(Decimals.AsSpan()));
    }

    public static EncodedColumn Read(BinaryReader reader)
    {
        var name = reader.ReadString();
        var kind = (VaeColumnKind)reader.ReadByte();
        var weight = reader.ReadDouble();
        var source = new SourceType((ItemKind)reader.ReadByte(), (ItemKind)reader.ReadByte(), reader.ReadUInt64(), reader.ReadInt32());
        var offset = reader.ReadInt32();
        var width = reader.ReadInt32();
        var means = ReadFloats(reader);
        var stds = ReadFloats(reader);
        var categories = new string[ModelFormat.CheckCount(reader.ReadInt32(), "category count")];
        for (var i = 0; i < categories.Length; i++)
        {
            categories[i] = reader.ReadString();
        }

        var minimums = ReadFloats(reader);
        var maximums = ReadFloats(reader);
        var decimals = new sbyte[ModelFormat.CheckCount(reader.ReadInt32(), "decimals count")];
        ModelFormat.Check(reader.Read(MemoryMarshal.AsBytes(decimals.AsSpan())) == decimals.Length, "the file ends early");
        ModelFormat.Check(
            minimums.Length == maximums.Length && (minimums.Length == 0 || minimums.Length == width) && (decimals.Length == 0 || decimals.Length == width),
            $"column '{name}' has inconsistent ranges");

        ModelFormat.Check(kind is VaeColumnKind.Numeric or VaeColumnKind.Categorical or VaeColumnKind.Binary, $"column '{name}' has an unknown kind");
        ModelFormat.Check(Enum.IsDefined(source.Item) && source.VectorSize >= 0 && width > 0 && offset >= 0, $"column '{name}' has an invalid type or span");
        ModelFormat.Check(kind != VaeColumnKind.Numeric || (means.Length == width && stds.Length == width), $"column '{name}' has inconsistent statistics");
        ModelFormat.Check(kind != VaeColumnKind.Categorical || categories.Length == width, $"column '{name}' has inconsistent categories");
        return new EncodedColumn(name, kind, weight, source, offset, width, means, stds, categories)
        {
            Minimums = minimums,
            Maximums = maximums,
            Decimals = decimals,
        };
    }

    private static void WriteFloats(BinaryWriter writer, float[] values)
    {
        writer.Write(values.Length);
        writer.Write(MemoryMarshal.AsBytes(values.AsSpan()));
    }

    private static float[] ReadFloats(BinaryReader reader)
    {
        var values = new float[ModelFormat.CheckCount(reader.ReadInt32(), "vector length")];
        var bytes = MemoryMarshal.AsBytes(values.AsSpan());
        ModelFormat.Check(reader.Read(bytes) == bytes.Length, "the file ends early");
        return values;
    }
}
