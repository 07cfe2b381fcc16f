using System.Numerics;
using Microsoft.ML;

namespace Vae.MLNet.Columns;

/// <summary>Encodes the current row of a cursor into the encoded vector: numeric features standardised (or, for a
/// mode-specific column, its component one-hot and the place within it), categories one-hot, binary values as they are. Rejects values the model cannot take, naming the column and the row.</summary>
internal sealed class RowEncoder
{
    private readonly ColumnEncoding _encoding;
    private readonly ValueReader[] _readers;
    private readonly double[] _scratch;
    private readonly float[] _floats;

    public RowEncoder(ColumnEncoding encoding, DataViewRow row)
    {
        _encoding = encoding;
        _readers = new ValueReader[encoding.Columns.Count];
        var maxItems = 1;
        for (var i = 0; i < _readers.Length; i++)
        {
            var column = encoding.Columns[i];
            var schemaColumn = row.Schema.GetColumnOrNull(column.Name)
                ?? throw new InvalidOperationException($"Column '{column.Name}' is missing from the input.");
            _readers[i] = ValueReader.Create(row, schemaColumn, column.Source);
            maxItems = Math.Max(maxItems, column.Source.ItemCount);
        }

        _scratch = new double[maxItems];
        _floats = new float[maxItems];
    }

    /// <summary>Writes the current row into <paramref name="destination"/> (the encoding's input width: the encoded
    /// features, then the missing-value indicators when missing values are allowed).</summary>
    /// <param name="destination">The row of the encoded matrix.</param>
    /// <param name="rowIndex">The row's index, for error messages.</param>
    public void Encode(Span<float> destination, long rowIndex)
    {
        destination.Clear();
        var allowMissing = _encoding.AllowsMissing;
        for (var c = 0; c < _readers.Length; c++)
        {
            var column = _encoding.Columns[c];
            var span = destination.Slice(column.Offset, column.Width);
            var indicators = allowMissing ? destination.Slice(_encoding.IndicatorOffsets[c], ColumnEncoding.IndicatorCount(column)) : default;
            var reader = _readers[c];
            switch (column.Kind)
            {
                case VaeColumnKind.Numeric when column.Modes is { } modes:
                {
                    var values = _scratch.AsSpan(0, 1);
                    reader.ReadNumbers(values);
                    var x = values[0];
                    if (allowMissing && double.IsNaN(x))
                    {
                        // Missing: no component, place 0, flagged to the encoder.
                        indicators[0] = 1f;
                        break;
                    }

                    if (!double.IsFinite(x))
                    {
                        throw ValueChecks.InvalidValue(column.Name, false, rowIndex, 0, x, allowMissing ? "is not a finite number (NaN counts as missing; infinities do not)" : "is not a finite number (set AllowMissingValues to treat NaN as missing)");
                    }

                    var component = modes.ComponentOf(x);
                    var within = modes.Within(x, component);
                    if (!float.IsFinite((float)within))
                    {
                        throw ValueChecks.InvalidValue(column.Name, false, rowIndex, 0, x,
                            $"lies {Math.Abs(within):G3} standard deviations from the nearest mode learned at fit, beyond the range of a float");
                    }

                    span[0] = (float)((x - column.Means[0]) / column.Stds[0]);
                    span[1] = (float)within;
                    span[2 + component] = 1f;
                    break;
                }

                case VaeColumnKind.Numeric:
                {
                    var values = _scratch.AsSpan(0, column.Width);
                    var isFloat = column.Source.Item == ItemKind.Single;
                    if (isFloat)
                    {
                        // Floats: standardised in float arithmetic, a vector at a time when every value is finite.
                        reader.TryReadFloats(_floats.AsSpan(0, column.Width), out var raw);
                        if (TryStandardise(raw, column.Means, column.InverseStds, span))
                        {
                            break;
                        }

                        for (var i = 0; i < raw.Length; i++)
                        {
                            values[i] = raw[i];
                        }
                    }
                    else
                    {
                        reader.ReadNumbers(values);
                    }

                    for (var i = 0; i < values.Length; i++)
                    {
                        if (allowMissing && double.IsNaN(values[i]))
                        {
                            // Missing: the feature's mean (0 once standardised), flagged to the encoder.
                            indicators[i] = 1f;
                            continue;
                        }

                        var standardised = isFloat
                            ? (double)(((float)values[i] - column.Means[i]) * column.InverseStds[i])
                            : (values[i] - column.Means[i]) / column.Stds[i];
                        if (!double.IsFinite(standardised) && double.IsFinite(values[i]))
                        {
                            // A float near the end of its range, less the mean, can overflow in float arithmetic.
                            standardised = (values[i] - column.Means[i]) / column.Stds[i];
                        }

                        if (!double.IsFinite(values[i]))
                        {
                            throw ValueChecks.InvalidValue(column.Name, column.Source.IsVector, rowIndex, i, values[i], allowMissing ? "is not a finite number (NaN counts as missing; infinities do not)" : "is not a finite number (set AllowMissingValues to treat NaN as missing)");
                        }

                        if (!float.IsFinite((float)standardised))
                        {
                            throw ValueChecks.InvalidValue(column.Name, column.Source.IsVector, rowIndex, i, values[i],
                                $"lies {Math.Abs(standardised):G3} standard deviations from the training mean, beyond the range of a float");
                        }

                        span[i] = (float)standardised;
                    }

                    break;
                }

                case VaeColumnKind.Binary:
                {
                    var values = _scratch.AsSpan(0, column.Width);
                    if (ValueChecks.TryReadUnitFloats(reader, _floats.AsSpan(0, column.Width), values, out var unit))
                    {
                        unit.CopyTo(span);
                        break;
                    }

                    for (var i = 0; i < values.Length; i++)
                    {
                        if (allowMissing && double.IsNaN(values[i]))
                        {
                            indicators[i] = 1f;
                            continue;
                        }

                        ValueChecks.CheckBinary(column.Name, column.Source.IsVector, values[i], rowIndex, i);
                        span[i] = (float)values[i];
                    }

                    break;
                }

                default:
                {
                    var position = CategoryPosition(column, reader, rowIndex, _encoding);
                    if (position < 0)
                    {
                        // Missing: an all-zero one-hot, which also takes no reconstruction loss.
                        indicators[0] = 1f;
                    }
                    else
                    {
                        span[position] = 1f;
                    }

                    break;
                }
            }
        }
    }

    /// <summary>destination = (x - means) * inverseStds in float arithmetic, a vector at a time. Returns false, with
    /// <paramref name="destination"/> partly written, when an input or a result is not finite (the caller then
    /// handles the row value by value: missing values, or an error naming the value).</summary>
    internal static bool TryStandardise(ReadOnlySpan<float> x, ReadOnlySpan<float> means, ReadOnlySpan<float> inverseStds, Span<float> destination)
    {
        var limit = new Vector<float>(float.MaxValue);
        var i = 0;
        for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var value = new Vector<float>(x.Slice(i));
            var result = (value - new Vector<float>(means.Slice(i))) * new Vector<float>(inverseStds.Slice(i));
            if (!Vector.LessThanOrEqualAll(Vector.Abs(value), limit) || !Vector.LessThanOrEqualAll(Vector.Abs(result), limit))
            {
                return false;
            }

            result.CopyTo(destination.Slice(i));
        }

        for (; i < x.Length; i++)
        {
            var result = (x[i] - means[i]) * inverseStds[i];
            if (!float.IsFinite(x[i]) || !float.IsFinite(result))
            {
                return false;
            }

            destination[i] = result;
        }

        return true;
    }

    /// <summary>The one-hot position of the row's category, or -1 where it is missing and missing values are allowed.</summary>
    private static int CategoryPosition(EncodedColumn column, ValueReader reader, long rowIndex, ColumnEncoding encoding)
    {
        if (column.Source.Item == ItemKind.Text)
        {
            var text = reader.ReadText().Span;
            return encoding.IsMissingText(text) ? -1 : column.CategoryOf(text);
        }

        var key = reader.ReadKey();
        return key == 0 && encoding.AllowsMissing ? -1 : ValueChecks.KeyPosition(column.Name, key, (ulong)column.Width, rowIndex);
    }
}
