using Microsoft.ML;
using Microsoft.ML.Data;

namespace Vae.MLNet.Transform;

/// <summary>A row of the output: input columns pass through, output columns read the current row of a batch.</summary>
/// <param name="mapper">The mapper.</param>
/// <param name="input">The row whose columns pass through (positioned on the current row); imputed columns read
/// their observed values from it.</param>
/// <param name="active">Active output columns.</param>
/// <param name="batch">The batch results and the row's index in them.</param>
internal sealed class VaeRow(VaeMapper mapper, DataViewRow input, bool[] active, CurrentBatch batch) : DataViewRow
{
    public override DataViewSchema Schema => mapper.OutputSchema;

    public override long Position => input.Position;

    public override long Batch => input.Batch;

    public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();

    public override bool IsColumnActive(DataViewSchema.Column column) => active[column.Index];

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (!active[column.Index])
        {
            throw new InvalidOperationException($"Column '{column.Name}' is not active in this row.");
        }

        if (mapper.OutputAt(column.Index) is not { } output)
        {
            return input.GetGetter<TValue>(input.Schema[column.Index]);
        }

        Delegate getter = output.Kind switch
        {
            OutputKind.Latent => Vector(() => batch.Computer.Mu(batch.Row)),
            OutputKind.LogVariance => Vector(() => batch.Computer.LogVar(batch.Row)),
            OutputKind.ColumnErrors => Vector(() => batch.Computer.ColumnErrors(batch.Row)),
            OutputKind.Score => (ValueGetter<float>)((ref float value) => value = batch.Computer.Score(batch.Row)),
            OutputKind.ReconstructionError => (ValueGetter<float>)((ref float value) => value = batch.Computer.ReconstructionError(batch.Row)),
            _ => DecodedGetters.Create(mapper.Encoding, output.EncodingColumn, batch,
                output.Kind == OutputKind.Imputed ? input : null, mapper.InputSchema[output.InputIndex]),
        };

        return getter as ValueGetter<TValue>
            ?? throw new InvalidOperationException($"Column '{column.Name}' has type {column.Type}, not {typeof(TValue).Name}.");
    }

    private delegate ReadOnlySpan<float> SpanSource();

    private static ValueGetter<VBuffer<float>> Vector(SpanSource source) => (ref VBuffer<float> value) =>
    {
        var values = source();
        var editor = VBufferEditor.Create(ref value, values.Length);
        values.CopyTo(editor.Values);
        value = editor.Commit();
    };
}
