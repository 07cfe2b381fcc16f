namespace Vae.MLNet;

/// <summary>A condition on one column of generated rows (see
/// <see cref="VariationalAutoencoderTransformer.Generate(int, IEnumerable{VaeCondition}, int)"/>): a category, a
/// Boolean or a number it must hold, or a range a number must fall in.</summary>
public sealed class VaeCondition
{
    private VaeCondition(string column, string? category, double? value, double minimum, double maximum)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(column);
        Column = column;
        Category = category;
        Value = value;
        Minimum = minimum;
        Maximum = maximum;
    }

    /// <summary>The column the condition fixes.</summary>
    public string Column { get; }

    internal string? Category { get; }

    internal double? Value { get; }

    internal double Minimum { get; }

    internal double Maximum { get; }

    /// <summary>A categorical column (text or key) holds this category, as named in
    /// <see cref="VaeColumnInfo.Categories"/>; it must be one seen at fit.</summary>
    /// <param name="column">The column.</param>
    /// <param name="category">The category.</param>
    public static VaeCondition Equal(string column, string category)
    {
        ArgumentNullException.ThrowIfNull(category);
        return new VaeCondition(column, category, null, double.NaN, double.NaN);
    }

    /// <summary>A Boolean column holds this value.</summary>
    /// <param name="column">The column.</param>
    /// <param name="value">The value.</param>
    public static VaeCondition Equal(string column, bool value) => new(column, null, value ? 1 : 0, double.NaN, double.NaN);

    /// <summary>A numeric column holds this number (within the range seen at fit; whole for an integer column), or a
    /// binary numeric column holds 0 or 1.</summary>
    /// <param name="column">The column.</param>
    /// <param name="value">The number.</param>
    public static VaeCondition Equal(string column, double value) => new(column, null, value, double.NaN, double.NaN);

    /// <summary>A numeric column holds a number in [<paramref name="minimum"/>, <paramref name="maximum"/>], drawn from
    /// the model given the other conditions.</summary>
    /// <param name="column">The column.</param>
    /// <param name="minimum">The smallest value allowed.</param>
    /// <param name="maximum">The largest value allowed.</param>
    public static VaeCondition Between(string column, double minimum, double maximum) => new(column, null, null, minimum, maximum);

    /// <inheritdoc />
    public override string ToString() =>
        Category is not null ? $"{Column} = {Category}"
        : Value is { } value ? $"{Column} = {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}"
        : $"{Column} in [{Minimum.ToString(System.Globalization.CultureInfo.InvariantCulture)}, {Maximum.ToString(System.Globalization.CultureInfo.InvariantCulture)}]";
}
