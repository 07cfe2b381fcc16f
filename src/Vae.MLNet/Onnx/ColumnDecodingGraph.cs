using Vae.MLNet.Columns;

namespace Vae.MLNet.Onnx;

/// <summary>Decodes the decoder's outputs into a column's values in its own type, as <see cref="ColumnDecoder"/>'s
/// most likely values: numbers de-standardised in double and kept within the range seen at fit, integers rounded
/// (half to even, as <c>Math.Round</c>) and clamped to their type; binary features as the probability of 1 in a
/// floating-point column, else 0 or 1 (false or true); categories as the most likely one seen at fit (the first of
/// equals), given as its key or text value. Imputation keeps observed values and takes these where values are
/// missing.</summary>
internal static class ColumnDecodingGraph
{
    /// <summary>Whether decoding the column needs ONNX's Round (opset 11).</summary>
    public static bool NeedsRounding(EncodedColumn column) =>
        column.Kind == VaeColumnKind.Numeric && column.Source.Item is not (ItemKind.Single or ItemKind.Double or ItemKind.Boolean);

    /// <summary>The column's most likely values given the decoder's outputs, [rows, items] in the column's raw type.</summary>
    public static string Decode(OnnxGraph graph, EncodedColumn column, string decoded)
    {
        var hint = $"{column.Name}.Decoded";
        switch (column.Kind)
        {
            case VaeColumnKind.Numeric when column.Modes is { } modes:
            {
                // The components' values at the decoded place, weighted by the softmax of their logits, in double,
                // as NumericModes.Expected; then within the range seen at fit.
                var place = graph.Cast(graph.Columns(decoded, [column.Offset + 1], hint + ".Place"), typeof(double), hint + ".PlaceDouble");
                var logits = graph.Cast(graph.Columns(decoded, Enumerable.Range(column.Offset + 2, modes.Count), hint + ".Logits"), typeof(double), hint + ".LogitsDouble");
                var shifted = graph.Op("Sub", hint + ".Shifted", logits, graph.Reduce("ReduceMax", logits, hint + ".Max"));
                var p = graph.Op("Exp", hint + ".Exp", shifted);
                var slopes = Enumerable.Range(0, modes.Count).Select(k => modes.IsPoint(k) ? 0 : modes.Stds[k - modes.Points.Length]).ToArray();
                var offsets = Enumerable.Range(0, modes.Count).Select(k => modes.IsPoint(k) ? modes.Points[k] : modes.Means[k - modes.Points.Length]).ToArray();
                var values = graph.Op("Add", hint + ".Values", graph.Op("Mul", hint + ".Spread", place, graph.Doubles(slopes, hint + ".Slopes")), graph.Doubles(offsets, hint + ".Offsets"));
                var weighted = graph.RowSum(graph.Op("Mul", hint + ".Weighted", p, values), hint + ".WeightedSum");
                var value = graph.Op("Div", hint + ".Value", weighted, graph.RowSum(p, hint + ".Total"));
                var (low, high) = column.Minimums.Length > 0 ? ((double)column.Minimums[0], (double)column.Maximums[0]) : (float.MinValue, (double)float.MaxValue);
                var clipped = graph.Op("Max", hint + ".Clipped", graph.Op("Min", hint + ".Below", value, graph.Double(high, hint + ".Maximum")), graph.Double(low, hint + ".Minimum"));
                return ToItem(graph, column.Source.Item, clipped, hint);
            }

            case VaeColumnKind.Numeric:
            {
                var output = graph.Cast(graph.Columns(decoded, Enumerable.Range(column.Offset, column.Width), hint + ".Output"), typeof(double), hint + ".Double");
                var scaled = graph.Op("Mul", hint + ".Scaled", output, graph.Doubles(column.Stds.Select(s => (double)s).ToArray(), hint + ".Stds"));
                var value = graph.Op("Add", hint + ".Value", scaled, graph.Doubles(column.Means.Select(m => (double)m).ToArray(), hint + ".Means"));
                var (low, high) = column.Minimums.Length > 0
                    ? (column.Minimums.Select(v => (double)v).ToArray(), column.Maximums.Select(v => (double)v).ToArray())
                    : (Enumerable.Repeat((double)float.MinValue, column.Width).ToArray(), Enumerable.Repeat((double)float.MaxValue, column.Width).ToArray());
                var clipped = graph.Op("Max", hint + ".Clipped", graph.Op("Min", hint + ".Below", value, graph.Doubles(high, hint + ".Maximums")), graph.Doubles(low, hint + ".Minimums"));
                return ToItem(graph, column.Source.Item, clipped, hint);
            }

            case VaeColumnKind.Binary:
            {
                // p = 1 / (1 + exp(-o)) in double, as ColumnDecoder.Probability.
                var output = graph.Cast(graph.Columns(decoded, Enumerable.Range(column.Offset, column.Width), hint + ".Output"), typeof(double), hint + ".Double");
                var exp = graph.Op("Exp", hint + ".Exp", graph.Op("Neg", hint + ".Negated", output));
                var p = graph.Op("Div", hint + ".Probability", graph.Double(1, hint + ".One"), graph.Op("Add", hint + ".OnePlus", graph.Double(1, hint + ".OneToo"), exp));
                if (column.Source.Item is ItemKind.Single or ItemKind.Double)
                {
                    return column.Source.Item == ItemKind.Single ? graph.Cast(p, typeof(float), hint) : p;
                }

                var isOne = graph.Op("Not", hint + ".IsOne", graph.Op("Less", hint + ".IsZero", p, graph.Double(0.5, hint + ".Half")));
                return column.Source.Item == ItemKind.Boolean ? isOne : graph.Cast(isOne, RawType(column.Source.Item), hint);
            }

            case VaeColumnKind.Categorical:
            {
                // ArgMax over the categories seen at fit gives the first of equal logits, as MostLikelyCategory.
                var count = ColumnDecoder.DecodableCategories(column);
                var logits = graph.Columns(decoded, Enumerable.Range(column.Offset, count), hint + ".Logits");
                var position = graph.Op("ArgMax", hint + ".Position", [logits], n =>
                {
                    n.AddAttribute("axis", 1L);
                    n.AddAttribute("keepdims", 1L);
                });
                if (column.Source.Item == ItemKind.Key)
                {
                    return graph.Cast(graph.Op("Add", hint + ".Key", position, graph.Long(1, hint + ".One")), RawType(column.Source.KeyRaw), hint);
                }

                return graph.Op("LabelEncoder", hint, [position], n =>
                {
                    n.AddAttribute("keys_int64s", Enumerable.Range(0, count).Select(k => (long)k).ToArray());
                    n.AddAttribute("values_strings", column.Categories.Take(count).ToArray());
                    n.AddAttribute("default_string", column.Categories[count - 1]);
                }, OnnxGraph.MLDomain);
            }

            default:
                throw new InvalidOperationException($"Column '{column.Name}' has an encoding the ONNX export does not know.");
        }
    }

    /// <summary>The column's input with its missing values replaced by <paramref name="decodedValue"/>.</summary>
    /// <param name="graph">The graph.</param>
    /// <param name="column">The column.</param>
    /// <param name="input">The input column's value.</param>
    /// <param name="missing">Where values are missing, or null where none can be.</param>
    /// <param name="decodedValue">The column's decoded values (<see cref="Decode"/>).</param>
    public static string Impute(OnnxGraph graph, EncodedColumn column, string input, string? missing, string decodedValue)
    {
        var hint = $"{column.Name}.Imputed";
        if (missing is null)
        {
            return graph.Op("Identity", hint, input);
        }

        if (column.Source.Item == ItemKind.Key)
        {
            // Where has no unsigned kernels in every runtime: choose in int64, then back to the key's raw type.
            var chosen = graph.Op("Where", hint + ".Long", missing, graph.Cast(decodedValue, typeof(long), hint + ".Decoded"), graph.Cast(input, typeof(long), hint + ".Observed"));
            return graph.Cast(chosen, RawType(column.Source.KeyRaw), hint);
        }

        return graph.Op("Where", hint, missing, decodedValue, input);
    }

    /// <summary>A decoded number (double) in a column's item type, as <see cref="ColumnDecoder.ToItem{T}"/>.</summary>
    private static string ToItem(OnnxGraph graph, ItemKind item, string value, string hint)
    {
        switch (item)
        {
            case ItemKind.Double:
                return value;
            case ItemKind.Single:
                return graph.Cast(value, typeof(float), hint);
            case ItemKind.Boolean:
                return graph.Op("Not", hint, graph.Op("Less", hint + ".False", value, graph.Double(0.5, hint + ".Half")));
            default:
            {
                var (min, max) = IntegerRange(item);
                var rounded = graph.Op("Round", hint + ".Rounded", value);
                var clamped = graph.Op("Max", hint + ".InType", graph.Op("Min", hint + ".BelowMax", rounded, graph.Double(max, hint + ".TypeMax")), graph.Double(min, hint + ".TypeMin"));
                return graph.Cast(clamped, RawType(item), hint);
            }
        }
    }

    private static (double Min, double Max) IntegerRange(ItemKind item) => item switch
    {
        ItemKind.SByte => (sbyte.MinValue, sbyte.MaxValue),
        ItemKind.Byte => (byte.MinValue, byte.MaxValue),
        ItemKind.Int16 => (short.MinValue, short.MaxValue),
        ItemKind.UInt16 => (ushort.MinValue, ushort.MaxValue),
        ItemKind.Int32 => (int.MinValue, int.MaxValue),
        ItemKind.UInt32 => (uint.MinValue, uint.MaxValue),
        ItemKind.Int64 => (long.MinValue, long.MaxValue),
        _ => (ulong.MinValue, ulong.MaxValue),
    };

    private static Type RawType(ItemKind item) => ItemTypes.DataViewType(item).RawType;
}
