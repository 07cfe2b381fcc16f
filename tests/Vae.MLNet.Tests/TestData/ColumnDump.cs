using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Vae.MLNet.Tests.TestData;

/// <summary>A column's values as exact strings (floats as their bits), read with a chosen set of active columns: what
/// two views must agree on to be the same.</summary>
internal static class ColumnDump
{
    /// <summary>Asserts that two views hold the same values in every column, read with all, the even and the odd
    /// columns active.</summary>
    public static void AssertSame(IDataView expected, IDataView actual)
    {
        var all = expected.Schema.Select(c => c.Index).ToArray();
        foreach (var active in new[] { all, all.Where(i => i % 2 == 0).ToArray(), all.Where(i => i % 2 == 1).ToArray() })
        {
            foreach (var index in active)
            {
                var name = expected.Schema[index].Name;
                Assert.Equal(Of(expected, name, active), Of(actual, name, active));
            }
        }
    }

    public static List<string> Of(IDataView data, string name, int[] active)
    {
        var lines = new List<string>();
        using var cursor = data.GetRowCursor(active.Select(i => data.Schema[i]));
        var column = data.Schema[name];
        var getter = MakeGetter(cursor, column);
        while (cursor.MoveNext())
        {
            lines.Add(getter());
        }

        return lines;
    }

    private static Func<string> MakeGetter(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        if (column.Type is KeyDataViewType)
        {
            var keyGetter = cursor.GetGetter<uint>(column);
            var keyValue = 0u;
            return () => { keyGetter(ref keyValue); return keyValue.ToString(CultureInfo.InvariantCulture); };
        }

        if (column.Type is VectorDataViewType)
        {
            var getter = cursor.GetGetter<VBuffer<float>>(column);
            var value = default(VBuffer<float>);
            return () => { getter(ref value); return string.Join(" ", value.DenseValues().Select(v => BitConverter.SingleToInt32Bits(v))); };
        }

        if (column.Type == NumberDataViewType.Single)
        {
            var getter = cursor.GetGetter<float>(column);
            var value = 0f;
            return () => { getter(ref value); return BitConverter.SingleToInt32Bits(value).ToString(CultureInfo.InvariantCulture); };
        }

        if (column.Type == NumberDataViewType.Double)
        {
            var getter = cursor.GetGetter<double>(column);
            var value = 0.0;
            return () => { getter(ref value); return BitConverter.DoubleToInt64Bits(value).ToString(CultureInfo.InvariantCulture); };
        }

        if (column.Type is TextDataViewType)
        {
            var getter = cursor.GetGetter<ReadOnlyMemory<char>>(column);
            var value = default(ReadOnlyMemory<char>);
            return () => { getter(ref value); return value.ToString(); };
        }

        if (column.Type is BooleanDataViewType)
        {
            var getter = cursor.GetGetter<bool>(column);
            var value = false;
            return () => { getter(ref value); return value.ToString(); };
        }

        var intGetter = cursor.GetGetter<int>(column);
        var intValue = 0;
        return () => { intGetter(ref intValue); return intValue.ToString(CultureInfo.InvariantCulture); };
    }
}
