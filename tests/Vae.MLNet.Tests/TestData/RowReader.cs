using Microsoft.ML;
using Microsoft.ML.Data;

namespace Vae.MLNet.Tests.TestData;

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

    /// <summary>The "Latent" and "Score" columns read through one cursor (a source read once serves one cursor).</summary>
    public static List<(float[] Latent, float Score)> LatentAndScore(IDataView data)
    {
        var rows = new List<(float[], float)>();
        using var cursor = data.GetRowCursor([data.Schema["Latent"], data.Schema["Score"]]);
        var latent = cursor.GetGetter<VBuffer<float>>(data.Schema["Latent"]);
        var score = cursor.GetGetter<float>(data.Schema["Score"]);
        var value = default(VBuffer<float>);
        var s = 0f;
        while (cursor.MoveNext())
        {
            latent(ref value);
            score(ref s);
            rows.Add((value.DenseValues().ToArray(), s));
        }

        return rows;
    }
}
