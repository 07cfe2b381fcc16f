using Vae.MLNet.Persistence;

namespace Vae.MLNet.Columns;

/// <summary>The fitted encoding of all input columns: the contract between the data and the loss. Each column owns
/// one span of the encoded vector, which is the reconstruction target. The encoder's input is that vector followed,
/// when missing values are allowed, by missing-value indicators: one per numeric or binary feature and one per
/// categorical column.</summary>
internal sealed class ColumnEncoding
{
    private readonly HashSet<string>? _missingText;
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _missingLookup;

    /// <param name="columns">The columns, each at the offset where the previous one ends.</param>
    /// <param name="missingText">Null: missing values are rejected. Otherwise missing values are allowed and these
    /// text values count as missing in text categorical columns.</param>
    public ColumnEncoding(IReadOnlyList<EncodedColumn> columns, IReadOnlyList<string>? missingText = null)
    {
        Columns = columns;
        Width = columns.Count == 0 ? 0 : columns[^1].Offset + columns[^1].Width;
        IndicatorOffsets = new int[columns.Count];
        var next = Width;
        for (var c = 0; c < columns.Count; c++)
        {
            IndicatorOffsets[c] = missingText is null ? -1 : next;
            next += missingText is null ? 0 : IndicatorCount(columns[c]);
        }

        InputWidth = next;
        if (missingText is not null)
        {
            MissingText = missingText.ToArray();
            _missingText = new HashSet<string>(MissingText, StringComparer.Ordinal);
            _missingLookup = _missingText.GetAlternateLookup<ReadOnlySpan<char>>();
        }
    }

    public IReadOnlyList<EncodedColumn> Columns { get; }

    /// <summary>The width of the encoded vector: the decoder's output and the reconstruction target.</summary>
    public int Width { get; }

    /// <summary>The width of the encoder's input: <see cref="Width"/> plus the missing-value indicators.</summary>
    public int InputWidth { get; }

    /// <summary>The number of numeric features (the length of the learned log-variance under Gaussian NLL and of the
    /// numeric noise).</summary>
    public int NumericFeatureCount => Columns.Sum(c => c.NumericFeatures);

    /// <summary>Whether missing values are taken (masked out of the loss, flagged to the encoder) or rejected.</summary>
    public bool AllowsMissing => _missingText is not null;

    /// <summary>Text values that count as missing when <see cref="AllowsMissing"/>.</summary>
    public string[]? MissingText { get; }

    /// <summary>Per column, the encoder-input position of its first missing-value indicator (-1: none).</summary>
    public int[] IndicatorOffsets { get; }

    /// <summary>Missing-value indicators of a column: one per value it holds (a whole categorical or mode-specific
    /// column has one).</summary>
    public static int IndicatorCount(EncodedColumn column) => column.ValueCount;

    /// <summary>Whether a text value counts as missing.</summary>
    public bool IsMissingText(ReadOnlySpan<char> text) => _missingText is not null && _missingLookup.Contains(text);

    /// <summary>For each feature of the encoded vector, the encoder-input position of the indicator that says it is
    /// missing (a categorical or mode-specific column's features share one).</summary>
    public long[] FeatureIndicators()
    {
        var positions = new long[Width];
        for (var c = 0; c < Columns.Count; c++)
        {
            var column = Columns[c];
            for (var i = 0; i < column.Width; i++)
            {
                positions[column.Offset + i] = IndicatorOffsets[c] + (column.ValueCount == 1 ? 0 : i);
            }
        }

        return positions;
    }

    public void Write(ModelWriter writer)
    {
        writer.Write(Columns.Count);
        foreach (var column in Columns)
        {
            column.Write(writer);
        }

        writer.Write(MissingText is not null);
        if (MissingText is not null)
        {
            writer.Write(MissingText.Length);
            foreach (var text in MissingText)
            {
                writer.Write(text);
            }
        }
    }

    public static ColumnEncoding Read(ModelReader reader)
    {
        var count = ModelFormat.CheckCount(reader.ReadInt32(), "column count");
        var columns = new EncodedColumn[count];
        var offset = 0;
        for (var i = 0; i < count; i++)
        {
            columns[i] = EncodedColumn.Read(reader, reader.WithModes);
            ModelFormat.Check(columns[i].Offset == offset, $"column '{columns[i].Name}' is not where the previous one ends");
            offset += columns[i].Width;
        }

        string[]? missingText = null;
        if (reader.ReadBoolean())
        {
            missingText = new string[ModelFormat.CheckCount(reader.ReadInt32(), "missing text count", 1 << 16)];
            for (var i = 0; i < missingText.Length; i++)
            {
                missingText[i] = reader.ReadString();
            }
        }

        return new ColumnEncoding(columns, missingText);
    }
}
