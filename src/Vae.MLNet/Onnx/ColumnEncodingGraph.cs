using Vae.MLNet.Columns;

namespace Vae.MLNet.Onnx;

/// <summary>Encodes the input columns in the graph exactly as <see cref="RowEncoder"/> does: numbers standardised
/// (floats in float arithmetic, other types in double), binary values as floats, categories one-hot with text values
/// unseen at fit in the bucket of other values; with missing values allowed, a missing value becomes the feature's
/// mean (0 once standardised) or an all-zero one-hot, flagged by its indicator. The checks of the managed encoder
/// (infinities, binary values outside [0, 1], key values beyond the categories) are not in the graph: it computes
/// with such values where the transformer rejects the row.</summary>
internal static class ColumnEncodingGraph
{
    /// <summary>Whether the graph can encode a column: the encodings this class knows, with the statistics they need.
    /// Anything else (a new encoding) is not exportable.</summary>
    public static bool CanEncode(EncodedColumn column) => column.Kind switch
    {
        VaeColumnKind.Numeric when column.Modes is not null => column.Source.Item is not (ItemKind.Text or ItemKind.Key)
            && !column.Source.IsVector && column.Width == 2 + column.Modes.Count && column.Means.Length == 1 && column.Stds.Length == 1
            && (column.Minimums.Length == 0 || column.Minimums.Length == 1),
        VaeColumnKind.Numeric => column.Source.Item is not (ItemKind.Text or ItemKind.Key)
            && column.Width == column.Source.ItemCount && column.Means.Length == column.Width && column.Stds.Length == column.Width
            && (column.Minimums.Length == 0 || column.Minimums.Length == column.Width),
        VaeColumnKind.Binary => column.Source.Item is not (ItemKind.Text or ItemKind.Key) && column.Width == column.Source.ItemCount,
        VaeColumnKind.Categorical => column.Source.Item is ItemKind.Text or ItemKind.Key && !column.Source.IsVector
            && column.Categories.Length == column.Width && column.Width > 0
            && (column.Source.Item == ItemKind.Key || column.Categories.All(IsWellFormed)),
        _ => false,
    };

    /// <summary>Whether a text survives ONNX's strings (UTF-8) as it is: no lone surrogate, which UTF-8 cannot hold
    /// (it becomes U+FFFD, so two categories could become one).</summary>
    public static bool IsWellFormed(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <param name="graph">The graph.</param>
    /// <param name="encoding">The model's encoding.</param>
    /// <param name="inputs">Per column of the encoding, the graph value of its input column.</param>
    public static EncodedInputs Encode(OnnxGraph graph, ColumnEncoding encoding, IReadOnlyList<string> inputs)
    {
        var count = encoding.Columns.Count;
        var features = new string[count];
        var indicators = new string?[count];
        var missing = new string?[count];
        for (var c = 0; c < count; c++)
        {
            var column = encoding.Columns[c];
            var hint = $"{column.Name}.Encoded";
            (features[c], missing[c]) = column.Kind switch
            {
                VaeColumnKind.Numeric when column.Modes is not null => Modes(graph, column, inputs[c], encoding.AllowsMissing, hint),
                VaeColumnKind.Numeric => Numeric(graph, column, inputs[c], encoding.AllowsMissing, hint),
                VaeColumnKind.Binary => Binary(graph, column, inputs[c], encoding.AllowsMissing, hint),
                VaeColumnKind.Categorical => Categorical(graph, column, inputs[c], encoding, hint),
                _ => throw new InvalidOperationException($"Column '{column.Name}' has an encoding the ONNX export does not know."),
            };

            if (encoding.AllowsMissing)
            {
                // A type without missing values still has its indicators, always 0.
                indicators[c] = missing[c] is { } m
                    ? graph.Indicator(m, hint + ".Indicator")
                    : graph.Indicator(graph.Op("IsNaN", hint + ".Never", features[c]), hint + ".Indicator");
            }
        }

        var parts = features.Concat(indicators.Where(i => i is not null).Select(i => i!)).ToArray();
        return new EncodedInputs(features, indicators, missing, graph.Concat(parts, "EncoderInput"));
    }

    /// <summary>Whether the column's type has a missing value (NaN) the encoding can take.</summary>
    internal static bool HasNaN(EncodedColumn column) => column.Source.Item is ItemKind.Single or ItemKind.Double;

    private static (string Features, string? Missing) Numeric(OnnxGraph graph, EncodedColumn column, string input, bool allowMissing, string hint)
    {
        string standardised;
        if (column.Source.Item == ItemKind.Single)
        {
            // (x - mean) * (1 / std) in float, as RowEncoder.TryStandardise.
            var centred = graph.Op("Sub", hint + ".Centred", input, graph.Floats(column.Means, hint + ".Means"));
            standardised = graph.Op("Mul", hint + ".Standardised", centred, graph.Floats(column.InverseStds, hint + ".InverseStds"));
        }
        else
        {
            // (x - mean) / std in double, then a float, as RowEncoder does for other number types.
            var value = graph.Cast(input, typeof(double), hint + ".Double");
            var centred = graph.Op("Sub", hint + ".Centred", value, graph.Doubles(column.Means.Select(m => (double)m).ToArray(), hint + ".Means"));
            var divided = graph.Op("Div", hint + ".Divided", centred, graph.Doubles(column.Stds.Select(s => (double)s).ToArray(), hint + ".Stds"));
            standardised = graph.Cast(divided, typeof(float), hint + ".Standardised");
        }

        return FillMissing(graph, column, input, standardised, allowMissing, hint);
    }

    /// <summary>A mode-specific column as RowEncoder encodes it, in double: the standardised value; the component
    /// (the first point mass the value equals, else the first Gaussian of the highest log weight minus log deviation
    /// minus half the squared distance) and the place within it; then the component's one-hot. With missing values
    /// allowed, a missing value (NaN; never, for a type without NaN) is all zeros, flagged by one indicator.</summary>
    private static (string Features, string? Missing) Modes(OnnxGraph graph, EncodedColumn column, string input, bool allowMissing, string hint)
    {
        var modes = column.Modes!;
        var x = graph.Cast(input, typeof(double), hint + ".Double");
        var standardised = graph.Cast(
            graph.Op("Div", hint + ".Divided", graph.Op("Sub", hint + ".Centred", x, graph.Double(column.Means[0], hint + ".Mean")), graph.Double(column.Stds[0], hint + ".Std")),
            typeof(float), hint + ".Standardised");

        var distance = graph.Op("Div", hint + ".Distance", graph.Op("Sub", hint + ".FromModes", x, graph.Doubles(modes.Means, hint + ".ModeMeans")), graph.Doubles(modes.Stds, hint + ".ModeStds"));
        var halfSquare = graph.Op("Mul", hint + ".HalfSquare", graph.Op("Mul", hint + ".Square", distance, distance), graph.Double(0.5, hint + ".Half"));
        var logPrior = modes.Weights.Select((w, k) => Math.Log(Math.Max(w, 1e-300)) - Math.Log(modes.Stds[k])).ToArray();
        var scores = graph.Op("Sub", hint + ".Scores", graph.Doubles(logPrior, hint + ".LogPrior"), halfSquare);
        var gaussian = graph.Op("ArgMax", hint + ".Gaussian", [scores], n =>
        {
            n.AddAttribute("axis", 1L);
            n.AddAttribute("keepdims", 1L);
        });
        var mean = graph.Op("Gather", hint + ".ItsMean", [graph.Doubles(modes.Means, hint + ".GatherMeans"), gaussian], n => n.AddAttribute("axis", 0L));
        var std = graph.Op("Gather", hint + ".ItsStd", [graph.Doubles(modes.Stds, hint + ".GatherStds"), gaussian], n => n.AddAttribute("axis", 0L));
        var within = graph.Op("Div", hint + ".Within", graph.Op("Sub", hint + ".FromItsMean", x, mean), std);
        var points = modes.Points.Length;
        var component = graph.Op("Add", hint + ".Component", gaussian, graph.Long(points, hint + ".PointCount"));
        if (points > 0)
        {
            var equal = graph.Indicator(graph.Op("Equal", hint + ".IsPoint", x, graph.Doubles(modes.Points, hint + ".Points")), hint + ".PointIndicators");
            var onPoint = graph.Op("Greater", hint + ".OnPoint", graph.Reduce("ReduceMax", equal, hint + ".AnyPoint"), graph.Float(0f, hint + ".NoPoint"));
            var point = graph.Op("ArgMax", hint + ".Point", [equal], n =>
            {
                n.AddAttribute("axis", 1L);
                n.AddAttribute("keepdims", 1L);
            });
            component = graph.Op("Where", hint + ".ComponentOrPoint", onPoint, point, component);
            within = graph.Op("Where", hint + ".WithinOrZero", onPoint, graph.Double(0, hint + ".ZeroPlace"), within);
        }

        var positions = graph.Longs(Enumerable.Range(0, modes.Count).Select(p => (long)p).ToArray(), hint + ".Positions");
        var oneHot = graph.Indicator(graph.Op("Equal", hint + ".IsComponent", component, positions), hint + ".OneHot");
        var features = graph.Concat([standardised, graph.Cast(within, typeof(float), hint + ".Place"), oneHot], hint + ".Parts");
        if (!allowMissing)
        {
            return (features, null);
        }

        // One indicator for the column (a type without NaN: never missing).
        var missing = graph.Op("IsNaN", hint + ".Missing", x);
        return (graph.Op("Where", hint, missing, graph.Float(0f, hint + ".Zero"), features), missing);
    }

    private static (string Features, string? Missing) Binary(OnnxGraph graph, EncodedColumn column, string input, bool allowMissing, string hint)
    {
        var value = column.Source.Item == ItemKind.Single ? input : graph.Cast(input, typeof(float), hint + ".Float");
        return FillMissing(graph, column, input, value, allowMissing, hint);
    }

    /// <summary>Where missing values are allowed and the type has NaN: NaN becomes 0 (the mean once standardised).</summary>
    private static (string Features, string? Missing) FillMissing(OnnxGraph graph, EncodedColumn column, string input, string value, bool allowMissing, string hint)
    {
        if (!allowMissing || !HasNaN(column))
        {
            return (value, null);
        }

        var missing = graph.Op("IsNaN", hint + ".Missing", input);
        return (graph.Op("Where", hint, missing, graph.Float(0f, hint + ".Zero"), value), missing);
    }

    private static (string Features, string? Missing) Categorical(OnnxGraph graph, EncodedColumn column, string input, ColumnEncoding encoding, string hint)
    {
        var position = CategoryPosition(graph, column, input, encoding, hint);
        var positions = graph.Longs(Enumerable.Range(0, column.Width).Select(p => (long)p).ToArray(), hint + ".Positions");
        var oneHot = graph.Indicator(graph.Op("Equal", hint + ".IsPosition", position, positions), hint);
        var missing = encoding.AllowsMissing ? graph.Op("Less", hint + ".Missing", position, graph.Long(0, hint + ".NoPosition")) : null;
        return (oneHot, missing);
    }

    /// <summary>The one-hot position of each row's category as [rows, 1] int64: -1 where it is missing (a text that
    /// counts as missing, key 0), the bucket of other values for text unseen at fit.</summary>
    internal static string CategoryPosition(OnnxGraph graph, EncodedColumn column, string input, ColumnEncoding encoding, string hint)
    {
        if (column.Source.Item == ItemKind.Key)
        {
            // Raw key k (1-based) is position k - 1; key 0 is -1.
            return graph.Op("Sub", hint + ".Position", graph.Cast(input, typeof(long), hint + ".Key"), graph.Long(1, hint + ".One"));
        }

        // Text: the categories seen at fit, then the texts that count as missing (which win, as in RowEncoder), and
        // the bucket's own name so the table is never empty; anything else is the bucket of other values.
        var table = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var k = 0; k < column.SeenCategories; k++)
        {
            table[column.Categories[k]] = k;
        }

        table.TryAdd(column.Categories[^1], column.Width - 1);
        foreach (var text in encoding.MissingText ?? [])
        {
            table[text] = -1;
        }

        return graph.Op("LabelEncoder", hint + ".Position", [input], n =>
        {
            n.AddAttribute("keys_strings", table.Keys.ToArray());
            n.AddAttribute("values_int64s", table.Values.ToArray());
            n.AddAttribute("default_int64", (long)(column.Width - 1));
        }, OnnxGraph.MLDomain);
    }
}
