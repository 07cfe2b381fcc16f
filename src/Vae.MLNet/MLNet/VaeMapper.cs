using Microsoft.ML;
using Microsoft.ML.Data;
using Vae.MLNet.Columns;

namespace Vae.MLNet.MLNet;

/// <summary>The transformer applied to one input schema: checks it, builds the output schema, and maps rows one at
/// a time (for <c>PredictionEngine</c>) with the same arithmetic as the batched cursor.</summary>
internal sealed class VaeMapper : IRowToRowMapper
{
    public VaeMapper(VariationalAutoencoderTransformer parent, DataViewSchema inputSchema)
    {
        Parent = parent;
        InputSchema = inputSchema;
        InputIndices = new int[parent.Encoding.Columns.Count];
        for (var i = 0; i < InputIndices.Length; i++)
        {
            var expected = parent.Encoding.Columns[i];
            var found = inputSchema.GetColumnOrNull(expected.Name)
                ?? throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Input column '{expected.Name}' is not in the data.");
            if (!SourceType.TryFrom(found.Type, out var source, out _) || source != expected.Source)
            {
                throw new ArgumentOutOfRangeException(nameof(inputSchema),
                    $"Input column '{expected.Name}' has type {found.Type}, but the model was trained on {expected.Source}.");
            }

            InputIndices[i] = found.Index;
        }

        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        var latent = parent.LatentDimension;
        var names = parent.Names;
        var vector = new VectorDataViewType(NumberDataViewType.Single, latent);
        builder.AddColumn(names.Latent, vector, SlotNames(latent, "z"));
        if (names.LogVariance is { } logVar)
        {
            builder.AddColumn(logVar, vector, SlotNames(latent, "logvar"));
        }

        if (names.Score is { } score)
        {
            builder.AddColumn(score, NumberDataViewType.Single);
        }

        if (names.ReconstructionError is { } error)
        {
            builder.AddColumn(error, NumberDataViewType.Single);
        }

        OutputSchema = builder.ToSchema();
        LatentIndex = inputSchema.Count;
        LogVarIndex = names.LogVariance is null ? -1 : OutputSchema[names.LogVariance].Index;
        ScoreIndex = names.Score is null ? -1 : OutputSchema[names.Score].Index;
        ErrorIndex = names.ReconstructionError is null ? -1 : OutputSchema[names.ReconstructionError].Index;
    }

    public VariationalAutoencoderTransformer Parent { get; }

    public DataViewSchema InputSchema { get; }

    public DataViewSchema OutputSchema { get; }

    /// <summary>Schema indices of the model's input columns, in encoding order.</summary>
    public int[] InputIndices { get; }

    public int LatentIndex { get; }

    public int LogVarIndex { get; }

    public int ScoreIndex { get; }

    public int ErrorIndex { get; }

    /// <summary>Whether any of the columns needs the model to run.</summary>
    public bool NeedsModel(Func<int, bool> active) => Enumerable.Range(InputSchema.Count, OutputSchema.Count - InputSchema.Count).Any(active);

    /// <summary>Whether the score columns are needed (they need the decoder too).</summary>
    public bool NeedsScores(Func<int, bool> active) => (ScoreIndex >= 0 && active(ScoreIndex)) || (ErrorIndex >= 0 && active(ErrorIndex));

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        var indices = new SortedSet<int>();
        foreach (var column in dependingColumns)
        {
            if (column.Index < InputSchema.Count)
            {
                indices.Add(column.Index);
            }
            else
            {
                indices.UnionWith(InputIndices);
            }
        }

        return indices.Select(i => InputSchema[i]).ToArray();
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        var active = new bool[OutputSchema.Count];
        foreach (var column in activeColumns)
        {
            active[column.Index] = true;
        }

        var computer = new BatchComputer(Parent.Inference, 1, NeedsScores(i => active[i]));
        RowEncoder? encoder = null;
        long computed = -1;
        return new VaeRow(this, input, active, computer, () =>
        {
            if (computed != input.Position)
            {
                encoder ??= new RowEncoder(Parent.Encoding, input);
                encoder.Encode(computer.X, input.Position);
                computer.Compute(1, input.Position);
                computed = input.Position;
            }

            return 0;
        });
    }

    private static DataViewSchema.Annotations SlotNames(int count, string prefix)
    {
        var builder = new DataViewSchema.Annotations.Builder();
        var names = Enumerable.Range(0, count).Select(i => $"{prefix}{i}".AsMemory()).ToArray();
        builder.Add(AnnotationUtils.Kinds.SlotNames, new VectorDataViewType(TextDataViewType.Instance, count),
            (ref VBuffer<ReadOnlyMemory<char>> value) => value = new VBuffer<ReadOnlyMemory<char>>(names.Length, names));
        return builder.ToAnnotations();
    }
}

/// <summary>A row of the output: input columns pass through, output columns read the current row of a batch.</summary>
internal sealed class VaeRow(VaeMapper mapper, DataViewRow input, bool[] active, BatchComputer computer, Func<int> current) : DataViewRow
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

        if (column.Index < mapper.InputSchema.Count)
        {
            return input.GetGetter<TValue>(input.Schema[column.Index]);
        }

        Delegate getter;
        if (column.Index == mapper.LatentIndex || column.Index == mapper.LogVarIndex)
        {
            var isLatent = column.Index == mapper.LatentIndex;
            getter = (ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) =>
            {
                var row = current();
                var source = isLatent ? computer.Mu(row) : computer.LogVar(row);
                var editor = VBufferEditor.Create(ref value, source.Length);
                source.CopyTo(editor.Values);
                value = editor.Commit();
            });
        }
        else if (column.Index == mapper.ScoreIndex)
        {
            getter = (ValueGetter<float>)((ref float value) => value = computer.Score(current()));
        }
        else
        {
            getter = (ValueGetter<float>)((ref float value) => value = computer.ReconstructionError(current()));
        }

        return getter as ValueGetter<TValue>
            ?? throw new InvalidOperationException($"Column '{column.Name}' has type {column.Type}, not {typeof(TValue).Name}.");
    }
}
