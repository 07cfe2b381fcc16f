using System.Numerics;

namespace Vae.MLNet.Columns;

/// <summary>The checks both readings of the data share (the statistics pass of <c>Fit</c> and <see cref="RowEncoder"/>,
/// at fit and at transform): binary values in [0, 1], key values within their categories, and the one form of the
/// message that names a column, a row and a value.</summary>
internal static class ValueChecks
{
    /// <summary>Reads a binary column's row. True, with the floats, when the column holds floats that are all in [0, 1]
    /// (checked a vector at a time); otherwise false with every value in <paramref name="values"/>, for the
    /// value-by-value path that takes missing values and names a value out of range.</summary>
    internal static bool TryReadUnitFloats(ValueReader reader, Span<float> scratch, Span<double> values, out ReadOnlySpan<float> floats)
    {
        if (!reader.TryReadFloats(scratch, out floats))
        {
            reader.ReadNumbers(values);
            return false;
        }

        if (AllBinary(floats))
        {
            return true;
        }

        for (var i = 0; i < floats.Length; i++)
        {
            values[i] = floats[i];
        }

        return false;
    }

    /// <summary>Whether every value is in [0, 1] (NaN is not), a vector at a time.</summary>
    internal static bool AllBinary(ReadOnlySpan<float> values)
    {
        var i = 0;
        for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var value = new Vector<float>(values.Slice(i));
            if (!Vector.GreaterThanOrEqualAll(value, Vector<float>.Zero) || !Vector.LessThanOrEqualAll(value, Vector<float>.One))
            {
                return false;
            }
        }

        for (; i < values.Length; i++)
        {
            if (!(values[i] >= 0 && values[i] <= 1))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The one-hot position of a key value, or an exception naming the column and row for key 0 (missing)
    /// or a key beyond the column's categories.</summary>
    internal static int KeyPosition(string column, ulong key, ulong count, long rowIndex)
    {
        if (key == 0)
        {
            throw new InvalidOperationException(
                $"Column '{column}' has a missing key value (0) at row {rowIndex}; categorical key columns need a value unless AllowMissingValues is set.");
        }

        if (key > count)
        {
            throw new InvalidOperationException(
                $"Column '{column}' has key value {key} at row {rowIndex}, beyond its {count} categories.");
        }

        return (int)(key - 1);
    }

    /// <summary>Rejects a binary value outside [0, 1], naming the column, row and slot.</summary>
    internal static void CheckBinary(string column, bool isVector, double value, long rowIndex, int slot)
    {
        if (!(value >= 0 && value <= 1))
        {
            throw InvalidValue(column, isVector, rowIndex, slot, value,
                "is outside [0, 1], which binary cross-entropy requires. Use the Numeric kind for other values");
        }
    }

    /// <summary>The exception for a value a column cannot take, naming the column, the row and the slot of a vector:
    /// "Column 'X' has the value v at row r (slot s), which <paramref name="problem"/>."</summary>
    internal static InvalidOperationException InvalidValue(string column, bool isVector, long row, int slot, double value, string problem)
    {
        var where = isVector ? $" (slot {slot})" : string.Empty;
        return new InvalidOperationException($"Column '{column}' has the value {value} at row {row}{where}, which {problem}.");
    }
}
