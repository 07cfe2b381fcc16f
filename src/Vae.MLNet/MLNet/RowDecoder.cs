using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Vae.MLNet.Columns;
using Vae.MLNet.Model;

namespace Vae.MLNet;

/// <summary>Turns decoder outputs back into the original columns and types.</summary>
internal static class RowDecoder
{
    /// <summary>Builds an in-memory view of <paramref name="rows"/> decoded rows. With a random source, every value is
    /// drawn from the decoder's distribution (numbers with the model's numeric noise); without, the most likely
    /// value is taken (binary numeric columns then give the probability itself, numbers the mean).</summary>
    public static IDataView ToDataView(IHostEnvironment env, ColumnEncoding encoding, VaeWeights weights, float[] decoded, int rows, Random? random)
    {
        var builder = new ArrayDataViewBuilder(env);
        var width = weights.OutputWidth;
        var numericIndex = 0;
        foreach (var column in encoding.Columns)
        {
            var source = column.Source;
            switch (column.Kind)
            {
                case VaeColumnKind.Numeric:
                {
                    var values = new double[rows * column.Width];
                    for (var r = 0; r < rows; r++)
                    {
                        for (var i = 0; i < column.Width; i++)
                        {
                            double standardised = decoded[(r * width) + column.Offset + i];
                            if (random is null)
                            {
                                values[(r * column.Width) + i] = column.MostLikely(i, (float)standardised);
                                continue;
                            }

                            if (weights.NumericNoise.Length > 0)
                            {
                                standardised += weights.NumericNoise[numericIndex + i] * Gaussian(random);
                            }

                            values[(r * column.Width) + i] = column.LikeObserved(i, (standardised * column.Stds[i]) + column.Means[i]);
                        }
                    }

                    numericIndex += column.Width;
                    AddNumbers(builder, column, rows, (r, i) => values[(r * column.Width) + i]);
                    break;
                }

                case VaeColumnKind.Binary:
                {
                    var values = new double[rows * column.Width];
                    for (var r = 0; r < rows; r++)
                    {
                        for (var i = 0; i < column.Width; i++)
                        {
                            var output = decoded[(r * width) + column.Offset + i];
                            values[(r * column.Width) + i] = random is not null
                                ? (random.NextDouble() < EncodedColumn.Probability(output) ? 1 : 0)
                                : column.MostLikely(i, output);
                        }
                    }

                    AddNumbers(builder, column, rows, (r, i) => values[(r * column.Width) + i]);
                    break;
                }

                default:
                {
                    var chosen = new int[rows];
                    var probabilities = new double[column.Width];
                    for (var r = 0; r < rows; r++)
                    {
                        var logits = decoded.AsSpan((r * width) + column.Offset, column.Width);
                        chosen[r] = random is null ? column.MostLikelyCategory(logits) : column.DrawCategory(logits, probabilities, random);
                    }

                    if (source.Item == ItemKind.Text)
                    {
                        builder.AddColumn(column.Name, chosen.Select(k => column.Categories[k]).ToArray());
                    }
                    else
                    {
                        AddKeys(builder, column, chosen);
                    }

                    break;
                }
            }
        }

        return builder.GetDataView(rows);
    }

    /// <summary>A standard normal draw (Box-Muller).</summary>
    internal static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static void AddKeys(ArrayDataViewBuilder builder, EncodedColumn column, int[] chosen)
    {
        var names = column.Categories.Select(c => c.AsMemory()).ToArray();
        ValueGetter<VBuffer<ReadOnlyMemory<char>>> keyValues = (ref VBuffer<ReadOnlyMemory<char>> value) =>
            value = new VBuffer<ReadOnlyMemory<char>>(names.Length, names);
        var count = column.Source.KeyCount;
        switch (column.Source.KeyRaw)
        {
            case ItemKind.Byte:
                builder.AddColumn(column.Name, keyValues, count, chosen.Select(k => (byte)(k + 1)).ToArray());
                break;
            case ItemKind.UInt16:
                builder.AddColumn(column.Name, keyValues, count, chosen.Select(k => (ushort)(k + 1)).ToArray());
                break;
            case ItemKind.UInt64:
                builder.AddColumn(column.Name, keyValues, count, chosen.Select(k => (ulong)(k + 1)).ToArray());
                break;
            default:
                builder.AddColumn(column.Name, keyValues, count, chosen.Select(k => (uint)(k + 1)).ToArray());
                break;
        }
    }

    private static void AddNumbers(ArrayDataViewBuilder builder, EncodedColumn column, int rows, Func<int, int, double> value)
    {
        switch (column.Source.Item)
        {
            case ItemKind.Single: Add<float>(builder, column, rows, value, NumberDataViewType.Single); break;
            case ItemKind.Double: Add<double>(builder, column, rows, value, NumberDataViewType.Double); break;
            case ItemKind.SByte: Add<sbyte>(builder, column, rows, value, NumberDataViewType.SByte); break;
            case ItemKind.Byte: Add<byte>(builder, column, rows, value, NumberDataViewType.Byte); break;
            case ItemKind.Int16: Add<short>(builder, column, rows, value, NumberDataViewType.Int16); break;
            case ItemKind.UInt16: Add<ushort>(builder, column, rows, value, NumberDataViewType.UInt16); break;
            case ItemKind.Int32: Add<int>(builder, column, rows, value, NumberDataViewType.Int32); break;
            case ItemKind.UInt32: Add<uint>(builder, column, rows, value, NumberDataViewType.UInt32); break;
            case ItemKind.Int64: Add<long>(builder, column, rows, value, NumberDataViewType.Int64); break;
            case ItemKind.UInt64: Add<ulong>(builder, column, rows, value, NumberDataViewType.UInt64); break;
            default: Add<bool>(builder, column, rows, value, BooleanDataViewType.Instance); break;
        }
    }

    private static void Add<T>(ArrayDataViewBuilder builder, EncodedColumn column, int rows, Func<int, int, double> value, PrimitiveDataViewType type)
    {
        if (column.Source.IsVector)
        {
            var vectors = new T[rows][];
            for (var r = 0; r < rows; r++)
            {
                vectors[r] = new T[column.Width];
                for (var i = 0; i < column.Width; i++)
                {
                    vectors[r][i] = FromDouble<T>(value(r, i));
                }
            }

            builder.AddColumn(column.Name, type, vectors);
        }
        else
        {
            builder.AddColumn(column.Name, type, Enumerable.Range(0, rows).Select(r => FromDouble<T>(value(r, 0))).ToArray());
        }
    }

    /// <summary>A decoded number in a column's item type: integers rounded and clamped, Booleans at 0.5.</summary>
    internal static T FromDouble<T>(double v)
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
}
