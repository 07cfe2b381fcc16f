namespace Vae.MLNet.Columns;

/// <summary>The inverse of <see cref="RowEncoder"/>: a column's decoder outputs back to the column's values. Numbers
/// are de-standardised within the range seen at fit; binary features become a probability or 0 and 1; categories
/// are one-hot positions among those seen at fit (a text column's bucket of other values is never given back); and
/// values are converted to the column's item type. It knows spans and noise levels only, nothing of batches,
/// cursors or ML.NET.</summary>
internal static class ColumnDecoder
{
    /// <summary>The value of numeric or binary feature <paramref name="slot"/> given the decoder's outputs for the
    /// column: a number's expected value (the de-standardised output; for a mode-specific column the components'
    /// values weighted by their probabilities), within the range seen at fit (so never beyond what the column's type
    /// can hold); for a binary feature the probability of 1 in a floating-point column, else 0 or 1.</summary>
    /// <param name="column">The column.</param>
    /// <param name="slot">The feature (0 for a scalar column).</param>
    /// <param name="outputs">The decoder's outputs for the column's span.</param>
    public static double MostLikely(EncodedColumn column, int slot, ReadOnlySpan<float> outputs)
    {
        if (column.Modes is { } modes)
        {
            return WithinRange(column, 0, modes.Expected(outputs[1..]));
        }

        var output = outputs[slot];
        if (column.Kind != VaeColumnKind.Binary)
        {
            return WithinRange(column, slot, (output * (double)column.Stds[slot]) + column.Means[slot]);
        }

        var p = Probability(output);
        return column.Source.Item is ItemKind.Single or ItemKind.Double ? p : (p >= 0.5 ? 1 : 0);
    }

    /// <summary>A value of numeric or binary feature <paramref name="slot"/> drawn from the decoder's distribution:
    /// a binary feature is 1 with the decoder's probability; a number is the decoder's output plus
    /// <paramref name="noise"/> standard deviations of a standard normal draw (no draw where the model has no noise
    /// levels), de-standardised (for a mode-specific column: a component drawn by its probability, then the point
    /// itself or the component's mean plus the noisy place times its deviation), then made to look like the data:
    /// clipped to the range seen at fit and rounded to the decimal places its values had.</summary>
    /// <param name="column">The column.</param>
    /// <param name="slot">The feature (0 for a scalar column).</param>
    /// <param name="outputs">The decoder's outputs for the column's span.</param>
    /// <param name="noise">The feature's noise level in standard deviations (null: none); for a mode-specific column,
    /// its place's.</param>
    /// <param name="random">The source of the draws.</param>
    public static double Draw(EncodedColumn column, int slot, ReadOnlySpan<float> outputs, double? noise, Random random)
    {
        if (column.Kind == VaeColumnKind.Binary)
        {
            return random.NextDouble() < Probability(outputs[slot]) ? 1 : 0;
        }

        double standardised = outputs[column.Modes is null ? slot : 1];
        if (noise is { } level)
        {
            standardised += level * Gaussian(random);
        }

        double value;
        if (column.Modes is { } modes)
        {
            var component = modes.DrawComponent(outputs[1..], random);
            if (modes.IsPoint(component))
            {
                return modes.Points[component];
            }

            value = WithinRange(column, 0, modes.Value(component, standardised));
        }
        else
        {
            value = WithinRange(column, slot, (standardised * column.Stds[slot]) + column.Means[slot]);
        }

        return column.Decimals.Length > 0 && column.Decimals[slot] >= 0
            ? Math.Round(value, column.Decimals[slot], MidpointRounding.AwayFromZero)
            : value;
    }

    /// <summary>Categorical: the most likely category given the decoder's logits for the column, among those seen at
    /// fit.</summary>
    public static int MostLikelyCategory(EncodedColumn column, ReadOnlySpan<float> logits)
    {
        var count = DecodableCategories(column);
        var best = 0;
        for (var k = 1; k < count; k++)
        {
            if (logits[k] > logits[best])
            {
                best = k;
            }
        }

        return best;
    }

    /// <summary>Categorical: a category drawn from the decoder's softmax over the categories seen at fit.</summary>
    /// <param name="column">The column.</param>
    /// <param name="logits">The decoder's logits for the column.</param>
    /// <param name="probabilities">Scratch of at least the column's width.</param>
    /// <param name="random">The source of the draw.</param>
    public static int DrawCategory(EncodedColumn column, ReadOnlySpan<float> logits, Span<double> probabilities, Random random)
    {
        var count = DecodableCategories(column);
        var max = logits[MostLikelyCategory(column, logits)];
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

    /// <summary>A decoded number in a column's item type: integers rounded and clamped to the type, Booleans at 0.5.</summary>
    public static T ToItem<T>(double v)
    {
        static double Round(double x, double min, double max) => Math.Clamp(Math.Round(x), min, max);
        object result = typeof(T) == typeof(float) ? (float)v
            : typeof(T) == typeof(double) ? v
            : typeof(T) == typeof(bool) ? v >= 0.5
            : typeof(T) == typeof(sbyte) ? (sbyte)Round(v, sbyte.MinValue, sbyte.MaxValue)
            : typeof(T) == typeof(byte) ? (byte)Round(v, byte.MinValue, byte.MaxValue)
            : typeof(T) == typeof(short) ? (short)Round(v, short.MinValue, short.MaxValue)
            : typeof(T) == typeof(ushort) ? (ushort)Round(v, ushort.MinValue, ushort.MaxValue)
            : typeof(T) == typeof(int) ? (int)Round(v, int.MinValue, int.MaxValue)
            : typeof(T) == typeof(uint) ? (uint)Round(v, uint.MinValue, uint.MaxValue)
            : typeof(T) == typeof(long) ? (long)Round(v, long.MinValue, long.MaxValue)
            : (object)(ulong)Round(v, ulong.MinValue, ulong.MaxValue);
        return (T)result;
    }

    /// <summary>The raw key value (1-based) of a one-hot position, in the key's raw type.</summary>
    public static T ToKey<T>(int position) =>
        (T)Convert.ChangeType((ulong)position + 1, typeof(T), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A standard normal draw (Box-Muller).</summary>
    public static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    /// <summary>The probability of 1 behind a binary feature's logit.</summary>
    private static double Probability(float logit) => 1 / (1 + Math.Exp(-logit));

    /// <summary>A decoded number clipped to the range of feature <paramref name="slot"/> seen at fit (where no value of
    /// it was observed, to the range of a float).</summary>
    private static double WithinRange(EncodedColumn column, int slot, double value) => column.Minimums.Length > 0
        ? Math.Clamp(value, column.Minimums[slot], column.Maximums[slot])
        : Math.Clamp(value, float.MinValue, float.MaxValue);

    /// <summary>How many leading one-hot positions decoding may give: the categories seen at fit (the bucket of
    /// other values only where no category was seen at all).</summary>
    internal static int DecodableCategories(EncodedColumn column) => Math.Max(1, column.SeenCategories);
}
