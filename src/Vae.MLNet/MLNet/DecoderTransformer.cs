using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Model.OnnxConverter;
using Microsoft.ML.Runtime;
using Vae.MLNet.Onnx;

namespace Vae.MLNet;

/// <summary>The autoencoder's decoder as a transformer (<see cref="VariationalAutoencoderTransformer.CreateDecoder"/>):
/// a vector column of latent points in, the model's input columns out, each the most likely value in its own type
/// (<see cref="VariationalAutoencoderTransformer.Decode"/>). Exists to be exported with <c>ConvertToOnnx</c>.</summary>
internal sealed class DecoderTransformer(IHost host, VariationalAutoencoderTransformer model, string latentColumn) : ITransformer
{
    private readonly DataViewSchema _schema = model.Decode([]).Schema;

    public bool IsRowToRowMapper => false;

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        host.CheckValue(inputSchema, nameof(inputSchema));
        var column = inputSchema.GetColumnOrNull(latentColumn)
            ?? throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Latent column '{latentColumn}' is not in the data.");
        if (column.Type is not VectorDataViewType { ItemType: NumberDataViewType { RawType: var raw } } vector || raw != typeof(float) || vector.Size != model.LatentDimension)
        {
            throw new ArgumentOutOfRangeException(nameof(inputSchema),
                $"Latent column '{latentColumn}' has type {column.Type}; the decoder takes vectors of {model.LatentDimension} floats.");
        }

        return _schema;
    }

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) =>
        throw new NotSupportedException("The decoder decodes whole views (Transform), not single rows.");

    public IDataView Transform(IDataView input)
    {
        host.CheckValue(input, nameof(input));
        GetOutputSchema(input.Schema);
        return new DecodedView(input, _schema, new Lazy<IDataView>(() => model.Decode(input.GetColumn<float[]>(latentColumn).ToArray())),
            new DecoderOnnxExport(latentColumn, model.Weights, model.Encoding, _schema));
    }

    void ICanSaveModel.Save(ModelSaveContext ctx) =>
        throw new NotSupportedException("Save the VariationalAutoencoderTransformer; CreateDecoder gives its decoder again.");

    /// <summary>The decoded rows, computed when first read; the step ML.NET's ONNX export finds after the input.</summary>
    private sealed class DecodedView(IDataView source, DataViewSchema schema, Lazy<IDataView> decoded, ISaveAsOnnx onnx) : ITransformCanSaveOnnx
    {
        public IDataView Source => source;

        public DataViewSchema Schema => schema;

        public bool CanShuffle => false;

        public long? GetRowCount() => source.GetRowCount();

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
            decoded.Value.GetRowCursor(columnsNeeded.Select(c => decoded.Value.Schema[c.Index]));

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
            [GetRowCursor(columnsNeeded, rand)];

        public bool CanSaveOnnx(OnnxContext ctx) => onnx.CanSaveOnnx(ctx);

        public void SaveAsOnnx(OnnxContext ctx) => onnx.SaveAsOnnx(ctx);

        void ICanSaveModel.Save(ModelSaveContext ctx) =>
            throw new NotSupportedException("Save the VariationalAutoencoderTransformer, not the view its decoder returns.");
    }
}
