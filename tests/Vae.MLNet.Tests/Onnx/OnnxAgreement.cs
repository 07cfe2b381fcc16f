using System.Collections;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Vae.MLNet.Tests.Onnx;

/// <summary>Exports a fitted pipeline with ML.NET's converter, runs the file in ONNX Runtime on the same rows, and
/// compares every output column of the model with the transformer's.</summary>
internal static class OnnxAgreement
{
    /// <summary>The agreement asked of numbers: |onnx - managed| at most this times the row's largest magnitude in
    /// the column, taken as at least 1 (relative above 1, absolute below). The graph computes in float what the
    /// managed kernels compute in float with a fixed accumulation order (MatMul and ReduceSum add in another order, and
    /// fuse no multiply-adds), and in double where the managed code does (standardisation of doubles and integers,
    /// decoding, the KL sum); the differences are the rounding errors of float sums, which scale with the magnitude of
    /// the terms summed (of order 1 for standardised inputs and a latent code under its prior), not with the result:
    /// a latent coordinate near 0 is a sum of terms of order 1. Integers decoded from numbers are the rounding of such a
    /// float: equal where it is small, within the same relative tolerance where it is large (a long of 5e11 differs in
    /// its last digits). Categories (text, keys) and Booleans must be equal.</summary>
    public const double Tolerance = 1e-5;

    public static byte[] Export(MLContext ml, ITransformer model, IDataView data)
    {
        using var stream = new MemoryStream();
        ml.Model.ConvertToOnnx(model, data, stream);
        return stream.ToArray();
    }

    /// <summary>Runs the file on the rows of <paramref name="data"/> (each graph input read from the column of its
    /// name) and returns each output column's rows, items boxed.</summary>
    public static Dictionary<string, object[][]> Run(byte[] onnx, IDataView data)
    {
        using var session = new InferenceSession(onnx);
        var rows = (int)data.GetRowCount()!.Value;
        var inputs = session.InputMetadata.Keys.Select(name => Input(data, name, rows)).ToList();
        using var results = session.Run(inputs);
        var outputs = new Dictionary<string, object[][]>();
        foreach (var result in results)
        {
            if (!result.Name.EndsWith(".output", StringComparison.Ordinal))
            {
                continue;
            }

            var items = ((IEnumerable)result.Value).Cast<object>().ToArray();
            var width = rows == 0 ? 0 : items.Length / rows;
            outputs[result.Name[..^".output".Length]] = Enumerable.Range(0, rows).Select(r => items.Skip(r * width).Take(width).ToArray()).ToArray();
        }

        return outputs;
    }

    /// <summary>Asserts that the file computes the model's outputs for these rows: floats within
    /// <see cref="Tolerance"/>, every other item (categories, Booleans) equal. Returns the largest
    /// difference seen relative to its column's magnitude.</summary>
    public static double AssertAgrees(MLContext ml, ITransformer model, IDataView data, IEnumerable<string> columns)
    {
        var output = model.Transform(data);
        var onnx = Run(Export(ml, model, data), data);
        var worst = 0.0;
        foreach (var name in columns)
        {
            Assert.True(onnx.ContainsKey(name), $"The ONNX model has no output '{name}'.");
            var expected = Read(output, name);
            var actual = onnx[name];
            Assert.Equal(expected.Length, actual.Length);
            var column = output.Schema[name];
            var item = column.Type is VectorDataViewType vector ? vector.ItemType : column.Type;
            var numeric = item is NumberDataViewType;
            for (var r = 0; r < expected.Length; r++)
            {
                Assert.True(expected[r].Length == actual[r].Length, $"'{name}' row {r}: {expected[r].Length} items, ONNX {actual[r].Length}");
                var scale = numeric ? Math.Max(1, expected[r].Select(Number).Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max()) : 1;
                for (var i = 0; i < expected[r].Length; i++)
                {
                    var e = expected[r][i];
                    var a = actual[r][i];
                    if (!numeric)
                    {
                        // ONNX strings are UTF-8: a lone surrogate of a passed-through text arrives as U+FFFD.
                        e = e is string text ? Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text)) : e;
                        Assert.True(Equals(e, a), $"'{name}' row {r} item {i}: {e} ({e.GetType().Name}), ONNX {a} ({a.GetType().Name})");
                        continue;
                    }

                    Assert.Equal(e.GetType(), a.GetType());
                    var ed = Number(e);
                    var ad = Number(a);
                    if (double.IsNaN(ed) && double.IsNaN(ad))
                    {
                        continue;
                    }

                    var difference = Math.Abs(ed - ad) / scale;
                    worst = Math.Max(worst, difference);
                    Assert.True(difference <= Tolerance, $"'{name}' row {r} item {i}: {ed:R}, ONNX {ad:R} (relative {difference:G3})");
                }
            }
        }

        return worst;
    }

    private static double Number(object value) => Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A column's rows, items boxed in their raw type (text as strings).</summary>
    public static object[][] Read(IDataView data, string name)
    {
        var column = data.Schema[name];
        var type = column.Type is VectorDataViewType vector ? vector.ItemType : column.Type;
        var method = typeof(OnnxAgreement).GetMethod(nameof(ReadTyped), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!;
        return (object[][])method.MakeGenericMethod(type.RawType).Invoke(null, [data, column, column.Type is VectorDataViewType])!;
    }

    private static object[][] ReadTyped<T>(IDataView data, DataViewSchema.Column column, bool vector)
    {
        var rows = new List<object[]>();
        using var cursor = data.GetRowCursor([column]);
        static object Box(T value) => value is ReadOnlyMemory<char> text ? text.ToString() : value!;
        if (vector)
        {
            var getter = cursor.GetGetter<VBuffer<T>>(column);
            var buffer = default(VBuffer<T>);
            while (cursor.MoveNext())
            {
                getter(ref buffer);
                rows.Add(buffer.DenseValues().Select(Box).ToArray());
            }
        }
        else
        {
            var getter = cursor.GetGetter<T>(column);
            var value = default(T)!;
            while (cursor.MoveNext())
            {
                getter(ref value);
                rows.Add([Box(value)]);
            }
        }

        return [.. rows];
    }

    private static NamedOnnxValue Input(IDataView data, string name, int rows)
    {
        var values = Read(data, name);
        var width = values.Length == 0 ? Math.Max(1, (data.Schema[name].Type as VectorDataViewType)?.Size ?? 1) : values[0].Length;
        var item = data.Schema[name].Type is VectorDataViewType vector ? vector.ItemType : data.Schema[name].Type;
        var raw = item.RawType == typeof(ReadOnlyMemory<char>) ? typeof(string) : item.RawType;
        var method = typeof(OnnxAgreement).GetMethod(nameof(TensorOf), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!;
        return (NamedOnnxValue)method.MakeGenericMethod(raw).Invoke(null, [name, values, rows, width])!;
    }

    private static NamedOnnxValue TensorOf<T>(string name, object[][] values, int rows, int width) =>
        NamedOnnxValue.CreateFromTensor(name, new DenseTensor<T>(values.SelectMany(r => r).Cast<T>().ToArray(), [rows, width]));
}
