using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Vae.MLNet.Columns;

namespace Vae.MLNet;

/// <summary>Rows decoded from latent points as an in-memory view in the original columns and types, for
/// <c>Decode</c> and <c>Generate</c>; the values come from <see cref="ColumnDecoder"/>.</summary>
internal static class RowDecoder
{
    /// <summary>Builds the view of <paramref name="rows"/> decoded rows. With a random source, every value is drawn
    /// from the decoder's distribution (numbers with the model's numeric noise); without, the most likely value is
    /// taken (binary numeric columns then give the probability itself, numbers the mean).</summary>
    /// <param name="env">The environment.</param>
    /// <param name="encoding">The model's encoding.</param>
    /// <param name="noise">Per numeric feature, the model's noise in standard deviations (empty: none).</param>
    /// <param name="decoded">Decoder outputs, row after row.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="random">The source of the draws; null for the most likely values.</param>
    /// <param name="conditions">Columns whose values are given: a category or a value they hold in every row, or a
    /// range their draws are kept in (drawn again, up to <see cref="RangeDraws"/> times, then clipped).</param>
    public static IDataView ToDataView(
        IHostEnvironment env, ColumnEncoding encoding, ReadOnlySpan<float> noise, float[] decoded, int rows, Random? random,
        IReadOnlyList<ColumnCondition>? conditions = null) =>
        ToDataView(env, encoding, noise, decoded, rows, random is null ? null : Enumerable.Repeat(random, encoding.Columns.Count).ToArray(), conditions);

    /// <summary>As <see cref="ToDataView(IHostEnvironment, ColumnEncoding, ReadOnlySpan{float}, float[], int, Random?, IReadOnlyList{ColumnCondition}?)"/>,
    /// each column drawing from its own source (<paramref name="randoms"/>, one per column; null for the most likely
    /// values). Column after column, each draws its rows in order, the same number of draws for every row of a
    /// column: <see cref="DrawsPerRow"/>.</summary>
    public static IDataView ToDataView(
        IHostEnvironment env, ColumnEncoding encoding, ReadOnlySpan<float> noise, float[] decoded, int rows, IReadOnlyList<Random>? randoms,
        IReadOnlyList<ColumnCondition>? conditions = null)
    {
        var builder = new ArrayDataViewBuilder(env);
        var width = encoding.Width;
        var numericIndex = 0;
        for (var c = 0; c < encoding.Columns.Count; c++)
        {
            var column = encoding.Columns[c];
            var random = randoms?[c];
            var condition = conditions?.FirstOrDefault(k => k.Column == c);
            if (column.Kind == VaeColumnKind.Categorical)
            {
                var chosen = new int[rows];
                var probabilities = new double[column.Width];
                for (var r = 0; r < rows; r++)
                {
                    var logits = decoded.AsSpan((r * width) + column.Offset, column.Width);
                    chosen[r] = condition is not null ? condition.Category
                        : random is null ? ColumnDecoder.MostLikelyCategory(column, logits)
                        : ColumnDecoder.DrawCategory(column, logits, probabilities, random);
                }

                if (column.Source.Item == ItemKind.Text)
                {
                    builder.AddColumn(column.Name, chosen.Select(k => column.Categories[k]).ToArray());
                }
                else
                {
                    ItemTypes.Invoke(column.Source.KeyRaw, new KeyColumn(builder, column, chosen));
                }

                continue;
            }

            var count = column.ValueCount;
            var values = new double[rows * count];
            // A mode-specific column draws with its place's noise (its second numeric feature).
            var levels = column.Kind == VaeColumnKind.Numeric && noise.Length > 0 ? noise.Slice(numericIndex + (column.Modes is null ? 0 : 1), count) : default;
            for (var r = 0; r < rows; r++)
            {
                var outputs = decoded.AsSpan((r * width) + column.Offset, column.Width);
                for (var i = 0; i < count; i++)
                {
                    double? level = levels.IsEmpty ? null : levels[i];
                    values[(r * count) + i] = condition is { Value: { } given } ? given
                        : condition is { IsRange: true } ? DrawWithin(column, outputs, level, random!, condition.Minimum, condition.Maximum)
                        : random is null ? ColumnDecoder.MostLikely(column, i, outputs)
                        : ColumnDecoder.Draw(column, i, outputs, level, random);
                }
            }

            numericIndex += column.NumericFeatures;
            ItemTypes.Invoke(column.Source.Item, new NumberColumn(builder, column, rows, values));
        }

        return builder.GetDataView(rows);
    }

    /// <summary>The draws a row of an unconditioned column takes from its source: one per category draw and binary
    /// feature, two per numeric value when the model has noise levels (a Box-Muller normal), none otherwise; a
    /// mode-specific column one more, its component.</summary>
    public static int DrawsPerRow(EncodedColumn column, bool hasNoise) => column.Kind switch
    {
        VaeColumnKind.Categorical => 1,
        VaeColumnKind.Binary => column.Width,
        _ => (hasNoise ? 2 * column.ValueCount : 0) + (column.Modes is null ? 0 : 1),
    };

    /// <summary>How often a draw outside a conditioned range is drawn again before it is clipped into the range.</summary>
    internal const int RangeDraws = 100;

    /// <summary>A scalar number drawn from the decoder's distribution within [minimum, maximum] (within its whole
    /// numbers for an integer column).</summary>
    private static double DrawWithin(EncodedColumn column, ReadOnlySpan<float> outputs, double? noise, Random random, double minimum, double maximum)
    {
        var integer = column.Source.Item is not (ItemKind.Single or ItemKind.Double);
        var (low, high) = integer ? (Math.Ceiling(minimum), Math.Floor(maximum)) : (minimum, maximum);
        var value = 0.0;
        for (var draw = 0; draw < RangeDraws; draw++)
        {
            value = ColumnDecoder.Draw(column, 0, outputs, noise, random);
            if (value >= low && value <= high)
            {
                return value;
            }
        }

        return Math.Clamp(value, low, high);
    }

    /// <summary>Adds a number or Boolean column (scalar or vector) in its item type.</summary>
    private readonly struct NumberColumn(ArrayDataViewBuilder builder, EncodedColumn column, int rows, double[] values) : IItemFunction<bool>
    {
        public bool Invoke<T>()
        {
            var type = ItemTypes.DataViewType(column.Source.Item);
            var width = column.ValueCount;
            if (column.Source.IsVector)
            {
                var vectors = new T[rows][];
                for (var r = 0; r < rows; r++)
                {
                    vectors[r] = new T[width];
                    for (var i = 0; i < width; i++)
                    {
                        vectors[r][i] = ColumnDecoder.ToItem<T>(values[(r * width) + i]);
                    }
                }

                builder.AddColumn(column.Name, type, vectors);
            }
            else
            {
                builder.AddColumn(column.Name, type, values.Select(ColumnDecoder.ToItem<T>).ToArray());
            }

            return true;
        }
    }

    /// <summary>Adds a key column with the model's key values.</summary>
    private readonly struct KeyColumn(ArrayDataViewBuilder builder, EncodedColumn column, int[] chosen) : IItemFunction<bool>
    {
        public bool Invoke<T>()
        {
            var names = column.Categories.Select(c => c.AsMemory()).ToArray();
            ValueGetter<VBuffer<ReadOnlyMemory<char>>> keyValues = (ref VBuffer<ReadOnlyMemory<char>> value) =>
                value = new VBuffer<ReadOnlyMemory<char>>(names.Length, names);
            builder.AddColumn(column.Name, keyValues, column.Source.KeyCount, chosen.Select(ColumnDecoder.ToKey<T>).ToArray());
            return true;
        }
    }
}
