using Microsoft.ML;
using Microsoft.ML.Model.OnnxConverter;
using Vae.MLNet.Columns;
using Vae.MLNet.Model;

namespace Vae.MLNet.Onnx;

/// <summary>The decoder's ONNX form, for generation where the file runs: latent points in (a vector column of the
/// latent size), each input column's most likely value out, in its own type, as <c>Decode</c> gives them. Sampling is
/// not in the graph: draw the latent points (from the prior N(0, I) for new rows) where the graph runs.</summary>
internal sealed class DecoderOnnxExport(string latentColumn, VaeWeights weights, ColumnEncoding encoding, DataViewSchema outputSchema) : ISaveAsOnnx
{
    public bool CanSaveOnnx(OnnxContext ctx) =>
        NetworkGraph.CanExport(weights) && encoding.Columns.All(ColumnEncodingGraph.CanEncode);

    public void SaveAsOnnx(OnnxContext ctx)
    {
        var rounding = encoding.Columns.Any(ColumnDecodingGraph.NeedsRounding);
        ctx.CheckOpSetVersion(rounding ? 11 : 9, "VariationalAutoencoderDecoder");
        if (!ctx.ContainsColumn(latentColumn))
        {
            foreach (var column in outputSchema)
            {
                ctx.RemoveColumn(column.Name, false);
            }

            return;
        }

        var latent = ctx.GetVariableName(latentColumn);
        var graph = new OnnxGraph(ctx, outputSchema);
        var decoded = NetworkGraph.Decode(graph, weights, latent);
        foreach (var column in encoding.Columns)
        {
            var output = outputSchema[column.Name];
            graph.Bind(output.Name, output.Type, ColumnDecodingGraph.Decode(graph, column, decoded));
        }
    }
}
