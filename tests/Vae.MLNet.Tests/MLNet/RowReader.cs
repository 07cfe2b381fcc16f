using Microsoft.ML;
using Microsoft.ML.Data;

namespace Vae.MLNet.Tests.MLNet;

internal static class RowReader
{
    public static float[][] Vectors(IDataView data, string column)
    {
        var rows = new List<float[]>();
        using var cursor = data.GetRowCursor([data.Schema[column]]);
        var getter = cursor.GetGetter<VBuffer<float>>(data.Schema[column]);
        var value = default(VBuffer<float>);
        while (cursor.MoveNext())
        {
            getter(ref value);
            rows.Add(value.DenseValues().ToArray());
        }

        return [.. rows];
    }

    public static float[] Scalars(IDataView data, string column) => data.GetColumn<float>(column).ToArray();
}
