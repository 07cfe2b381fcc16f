using Microsoft.ML.Model.OnnxConverter;
using Vae.MLNet.Columns;
using Vae.MLNet.Model;
using Vae.MLNet.Transform;

namespace Vae.MLNet.Onnx;

/// <summary>The transformer's ONNX form (what <c>mlContext.Model.ConvertToOnnx</c> asks of the view it returns):
/// the columns encoded as <see cref="RowEncoder"/> does, the network, and every output column the transformer has,
/// with the same names and types. The graph computes in ONNX's operators what the managed kernels compute, so its
/// floats agree with the transformer's to rounding (accumulation order, the float terms of the score), its
/// categories and Booleans exactly. What the graph does not do: reject bad rows (infinities, binary values outside
/// [0, 1], key values beyond the categories, rows whose outputs overflow; the transformer throws, the graph computes
/// with them).</summary>
internal sealed class VaeOnnxExport(VaeMapper mapper) : ISaveAsOnnx
{
    /// <summary>ONNX's first opset with every operator used here but Round.</summary>
    private const int OpSet = 9;

    /// <summary>The opset of Round, needed to decode integer columns.</summary>
    private const int RoundingOpSet = 11;

    /// <summary>Whether the model can be written: every column's encoding and the activation are ones the export
    /// knows, and texts ONNX can hold. Otherwise ML.NET stops its walk of the pipeline here, with its warning, rather than writing a graph that
    /// computes something else.</summary>
    public bool CanSaveOnnx(OnnxContext ctx) => CanExport(mapper.Inference);

    internal static bool CanExport(VaeInference inference)
    {
        var weights = inference.Weights;
        var encoding = inference.Encoding;
        return NetworkGraph.CanExport(weights)
            && encoding.Columns.All(ColumnEncodingGraph.CanEncode)
            && (encoding.MissingText ?? []).All(ColumnEncodingGraph.IsWellFormed)
            && (weights.NumericLogVar.Length == 0 || weights.NumericLogVar.Length == encoding.NumericFeatureCount);
    }

    public void SaveAsOnnx(OnnxContext ctx)
    {
        var encoding = mapper.Encoding;
        var outputs = mapper.Outputs;
        // Round (decoded integers) and Equal on doubles (a mode-specific column's point masses) need opset 11.
        var rounding = outputs.Any(o => o.Spec.IsPerColumn && ColumnDecodingGraph.NeedsRounding(encoding.Columns[o.EncodingColumn]))
            || encoding.Columns.Any(c => c.Modes is { Points.Length: > 0 });
        ctx.CheckOpSetVersion(rounding ? RoundingOpSet : OpSet, "VariationalAutoencoder");

        var schema = mapper.OutputSchema;
        if (encoding.Columns.Any(c => !ctx.ContainsColumn(c.Name)))
        {
            // An input the graph does not compute: none of the outputs can be (ML.NET then names what is missing).
            foreach (var output in outputs)
            {
                ctx.RemoveColumn(schema[output.Index].Name, false);
            }

            return;
        }

        // Every input is read before any output is bound: an output may take an input's name.
        var inputs = encoding.Columns.Select(c => ctx.GetVariableName(c.Name)).ToArray();
        var graph = new OnnxGraph(ctx, schema);
        var encoded = ColumnEncodingGraph.Encode(graph, encoding, inputs);
        var (mean, logVariance) = NetworkGraph.Encode(graph, mapper.Inference.Weights, encoded.Input);
        var decoded = outputs.Any(o => o.Decodes || o.Scores) ? NetworkGraph.Decode(graph, mapper.Inference.Weights, mean) : null;
        var losses = outputs.Any(o => o.Scores)
            ? LossGraph.ColumnLosses(graph, encoding, mapper.Inference.Layout, mapper.Inference.Weights, encoded, decoded!)
            : null;
        var values = new Dictionary<int, string>();
        string? columnErrors = null, reconstructionError = null;
        string ColumnErrors() => columnErrors ??= graph.Concat(losses!, "ColumnErrors");
        string Reconstruction() => reconstructionError ??= graph.RowSum(ColumnErrors(), "ReconstructionError");

        foreach (var output in outputs)
        {
            var column = schema[output.Index];
            string value;
            switch (output.Kind)
            {
                case OutputKind.Latent:
                    value = mean;
                    break;
                case OutputKind.LogVariance:
                    value = logVariance;
                    break;
                case OutputKind.ColumnErrors:
                    value = ColumnErrors();
                    break;
                case OutputKind.ReconstructionError:
                    value = Reconstruction();
                    break;
                case OutputKind.Score:
                    value = graph.Op("Add", "Score", Reconstruction(), LossGraph.Kl(graph, mean, logVariance));
                    break;
                case OutputKind.Reconstructed:
                case OutputKind.Imputed:
                {
                    var c = output.EncodingColumn;
                    if (!values.TryGetValue(c, out var reconstructed))
                    {
                        reconstructed = values[c] = ColumnDecodingGraph.Decode(graph, encoding.Columns[c], decoded!);
                    }

                    value = output.Kind == OutputKind.Reconstructed
                        ? reconstructed
                        : ColumnDecodingGraph.Impute(graph, encoding.Columns[c], inputs[c], encoded.Missing[c], reconstructed);
                    break;
                }

                default:
                    throw new InvalidOperationException($"Output column '{column.Name}' has a kind the ONNX export does not know.");
            }

            graph.Bind(column.Name, column.Type, value);
        }
    }
}
