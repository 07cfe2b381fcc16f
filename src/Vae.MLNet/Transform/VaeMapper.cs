using Microsoft.ML;
using Microsoft.ML.Data;
using Vae.MLNet.Columns;
using Vae.MLNet.Model;

namespace Vae.MLNet.Transform;

/// <summary>The transformer applied to one input schema: checks it, builds the output schema, and maps rows one at
/// a time (for <c>PredictionEngine</c>) with the same arithmetic as the batched cursor.</summary>
internal sealed class VaeMapper : IRowToRowMapper
{
    private readonly OutputColumn?[] _outputs;

    public VaeMapper(VaeInference inference, IReadOnlyList<OutputColumnSpec> specs, DataViewSchema inputSchema)
    {
        Inference = inference;
        InputSchema = inputSchema;
        var encoding = inference.Encoding;
        InputIndices = new int[encoding.Columns.Count];
        for (var i = 0; i < InputIndices.Length; i++)
        {
            var expected = encoding.Columns[i];
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
        var outputs = new List<OutputColumn>();
        var latent = inference.Latent;
        var columnNames = encoding.Columns.Select(c => c.Name).ToArray();
        foreach (var spec in specs)
        {
            // A per-column output has its input column's type (and key values or slot names).
            var input = spec.IsPerColumn ? inputSchema[InputIndices[spec.InputColumn]] : default(DataViewSchema.Column?);
            var slots = spec.Kind switch
            {
                OutputKind.Latent => Enumerable.Range(0, latent).Select(i => $"z{i}").ToArray(),
                OutputKind.LogVariance => Enumerable.Range(0, latent).Select(i => $"logvar{i}").ToArray(),
                OutputKind.ColumnErrors => columnNames,
                _ => [],
            };
            DataViewType type = spec.IsPerColumn ? input!.Value.Type
                : spec.IsVector ? new VectorDataViewType(NumberDataViewType.Single, slots.Length)
                : NumberDataViewType.Single;
            var annotations = spec.IsPerColumn ? input!.Value.Annotations : spec.IsVector ? SlotNames(slots) : null;
            builder.AddColumn(spec.Name, type, annotations);
            outputs.Add(new OutputColumn(spec, inputSchema.Count + outputs.Count, input?.Index ?? -1));
        }

        OutputSchema = builder.ToSchema();
        Outputs = outputs;
        _outputs = new OutputColumn?[OutputSchema.Count];
        foreach (var output in outputs)
        {
            _outputs[output.Index] = output;
        }
    }

    /// <summary>The trained model.</summary>
    public VaeInference Inference { get; }

    public ColumnEncoding Encoding => Inference.Encoding;

    public DataViewSchema InputSchema { get; }

    public DataViewSchema OutputSchema { get; }

    /// <summary>Schema indices of the model's input columns, in encoding order.</summary>
    public int[] InputIndices { get; }

    /// <summary>The added columns, in schema order.</summary>
    public IReadOnlyList<OutputColumn> Outputs { get; }

    /// <summary>The added column at an output schema index, or null for a pass-through column.</summary>
    public OutputColumn? OutputAt(int index) => _outputs[index];

    /// <summary>Whether any of the active columns needs the model to run.</summary>
    public bool NeedsModel(Func<int, bool> active) => Outputs.Any(o => active(o.Index));

    /// <summary>Whether the active columns need rows decoded.</summary>
    public bool NeedsDecoding(Func<int, bool> active) => Outputs.Any(o => o.Decodes && active(o.Index));

    /// <summary>Whether the active columns need the reconstruction losses.</summary>
    public bool NeedsScores(Func<int, bool> active) => Outputs.Any(o => o.Scores && active(o.Index));

    /// <summary>Input columns the pass-through cursor must serve: the active pass-through columns and the inputs of
    /// active imputed columns (observed values pass through).</summary>
    public IEnumerable<int> PassThroughInputs(Func<int, bool> active) =>
        Enumerable.Range(0, InputSchema.Count).Where(active)
            .Union(Outputs.Where(o => o.Kind == OutputKind.Imputed && active(o.Index)).Select(o => o.InputIndex))
            .Order();

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

        var computer = new BatchComputer(Inference, 1, NeedsDecoding(i => active[i]), NeedsScores(i => active[i]));
        return new VaeRow(this, input, active, new RowOnDemand(Encoding, input, computer));
    }

    /// <summary>A batch of one input row, computed when a getter first reads a row it has not computed.</summary>
    private sealed class RowOnDemand(ColumnEncoding encoding, DataViewRow input, BatchComputer computer) : CurrentBatch
    {
        private RowEncoder? _encoder;
        private long _computed = -1;

        public override BatchComputer Computer => computer;

        public override int Row
        {
            get
            {
                if (_computed != input.Position)
                {
                    _encoder ??= new RowEncoder(encoding, input);
                    _encoder.Encode(computer.X, input.Position);
                    computer.Compute(1, input.Position);
                    _computed = input.Position;
                }

                return 0;
            }
        }
    }

    private static DataViewSchema.Annotations SlotNames(string[] slots)
    {
        var builder = new DataViewSchema.Annotations.Builder();
        var names = slots.Select(s => s.AsMemory()).ToArray();
        builder.Add(AnnotationUtils.Kinds.SlotNames, new VectorDataViewType(TextDataViewType.Instance, names.Length),
            (ref VBuffer<ReadOnlyMemory<char>> value) => value = new VBuffer<ReadOnlyMemory<char>>(names.Length, names));
        return builder.ToAnnotations();
    }
}
