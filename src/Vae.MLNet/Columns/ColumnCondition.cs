namespace Vae.MLNet.Columns;

/// <summary>A condition resolved against the fitted encoding: the column's position, and what it fixes: a one-hot
/// position (<see cref="Category"/> >= 0), a value (<see cref="Value"/>, in the column's own units), or a range of
/// values (<see cref="Minimum"/> to <see cref="Maximum"/>).</summary>
internal sealed record ColumnCondition(int Column, int Category, double? Value, double Minimum, double Maximum)
{
    /// <summary>Whether the column is a range to draw within, rather than a value to hold.</summary>
    public bool IsRange => Category < 0 && Value is null;

    /// <summary>Writes what the encoder sees of the conditioned column into an encoded row: its features (a number
    /// encoded as at fit, a range by its middle, a category one-hot) and its missing-value indicators cleared.</summary>
    public void Encode(ColumnEncoding encoding, Span<float> row)
    {
        var column = encoding.Columns[Column];
        var span = row.Slice(column.Offset, column.Width);
        span.Clear();
        if (Category >= 0)
        {
            span[Category] = 1f;
        }
        else
        {
            var value = Value ?? ((Minimum + Maximum) / 2);
            if (column.Modes is { } modes)
            {
                span[0] = (float)((value - column.Means[0]) / column.Stds[0]);
                modes.Encode(value, span[1..]);
            }
            else
            {
                span[0] = column.Kind == VaeColumnKind.Numeric ? (float)((value - column.Means[0]) / column.Stds[0]) : (float)value;
            }
        }

        row.Slice(encoding.IndicatorOffsets[Column], ColumnEncoding.IndicatorCount(column)).Clear();
    }

    /// <summary>Resolves the user's conditions, or throws naming the column and the problem.</summary>
    public static ColumnCondition[] Resolve(ColumnEncoding encoding, IEnumerable<VaeCondition> conditions)
    {
        var resolved = new List<ColumnCondition>();
        foreach (var condition in conditions)
        {
            ArgumentNullException.ThrowIfNull(condition, nameof(conditions));
            var index = encoding.Columns.ToList().FindIndex(c => c.Name == condition.Column);
            if (index < 0)
            {
                throw Problem(condition, "names no column of the model");
            }

            if (resolved.Any(r => r.Column == index))
            {
                throw Problem(condition, "conditions a column that another condition already fixes");
            }

            var column = encoding.Columns[index];
            if (column.Source.IsVector)
            {
                throw Problem(condition, "conditions a vector column; conditions take scalar columns");
            }

            resolved.Add(column.Kind switch
            {
                VaeColumnKind.Categorical => Categorical(condition, column, index),
                VaeColumnKind.Binary => Binary(condition, index),
                _ => Numeric(condition, column, index),
            });
        }

        return [.. resolved];
    }

    private static ColumnCondition Categorical(VaeCondition condition, EncodedColumn column, int index)
    {
        if (condition.Category is not { } category)
        {
            throw Problem(condition, "gives a number for a categorical column; give one of its categories");
        }

        var seen = column.SeenCategories;
        var position = Array.FindIndex(column.Categories, 0, seen, c => string.Equals(c, category, StringComparison.Ordinal));
        if (position < 0)
        {
            throw Problem(condition, $"names a category the column did not have at fit (it has {seen}: {string.Join(", ", column.Categories.Take(Math.Min(seen, 10)))}{(seen > 10 ? ", ..." : string.Empty)})");
        }

        return new ColumnCondition(index, position, null, double.NaN, double.NaN);
    }

    private static ColumnCondition Binary(VaeCondition condition, int index)
    {
        if (condition.Value is not (0 or 1))
        {
            throw Problem(condition, "gives a binary column something else than false or true (0 or 1)");
        }

        return new ColumnCondition(index, -1, condition.Value, double.NaN, double.NaN);
    }

    private static ColumnCondition Numeric(VaeCondition condition, EncodedColumn column, int index)
    {
        if (condition.Category is not null)
        {
            throw Problem(condition, "gives a category for a numeric column; give a number or a range");
        }

        if (column.Minimums.Length == 0)
        {
            throw Problem(condition, "conditions a column that had no observed value at fit");
        }

        double low = column.Minimums[0], high = column.Maximums[0];
        var integer = column.Source.Item is not (ItemKind.Single or ItemKind.Double);
        if (condition.Value is { } value)
        {
            if (!double.IsFinite(value) || value < low || value > high)
            {
                throw Problem(condition, $"is outside the range the column had at fit, [{low}, {high}]");
            }

            if (integer && value != Math.Round(value))
            {
                throw Problem(condition, "gives a whole-number column a fraction");
            }

            return new ColumnCondition(index, -1, value, double.NaN, double.NaN);
        }

        if (!double.IsFinite(condition.Minimum) || !double.IsFinite(condition.Maximum) || condition.Minimum > condition.Maximum)
        {
            throw Problem(condition, "is not a range of two finite numbers, the smaller first");
        }

        var (minimum, maximum) = (Math.Max(condition.Minimum, low), Math.Min(condition.Maximum, high));
        if (minimum > maximum || (integer && Math.Ceiling(minimum) > Math.Floor(maximum)))
        {
            throw Problem(condition, $"holds no value the column had at fit, [{low}, {high}]");
        }

        return new ColumnCondition(index, -1, null, minimum, maximum);
    }

    private static ArgumentOutOfRangeException Problem(VaeCondition condition, string problem) =>
        new("conditions", $"The condition '{condition}' {problem}.");
}
