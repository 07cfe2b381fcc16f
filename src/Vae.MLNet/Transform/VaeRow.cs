using Microsoft.ML;
using Microsoft.ML.Data;
using Vae.MLNet.Columns;

namespace Vae.MLNet.Transform;

/// <summary>A row of the output: input columns pass through, output columns read the current row of a batch.</summary>
/// <param name="mapper">The mapper.</param>
/// <param name="input">The row whose columns pass through (positioned on the current row); imputed columns read
/// their observed values from it.</param>
/// <param name="active">Active output columns.</param>
/// <param name="computer">The batch results (the batch being served).</param>
/// <param name="current">Brings the batch up to date and returns the current row's index in it.</param>
internal sealed class VaeRow(VaeMapper mapper, DataViewRow input, bool[] active, Func<BatchComputer> computer, Func<int> current) : DataViewRow
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
            OutputKind.Latent => Vector(() => computer().Mu(current())),
            OutputKind.LogVariance => Vector(() => computer().LogVar(current())),
            OutputKind.ColumnErrors => Vector(() => computer().ColumnErrors(current())),
            OutputKind.Score => (ValueGetter<float>)((ref float value) => value = computer().Score(current())),
            OutputKind.ReconstructionError => (ValueGetter<float>)((ref float value) => value = computer().ReconstructionError(current())),
            _ => DecodedGetters.Create(mapper.Parent.Encoding, output.EncodingColumn, computer, current,
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
