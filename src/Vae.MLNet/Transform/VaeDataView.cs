using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Model.OnnxConverter;
using Microsoft.ML.Runtime;
using Vae.MLNet.Columns;

namespace Vae.MLNet.Transform;

/// <summary>The lazy output of <c>Transform</c>. Its cursor runs the model on batches of rows read through one
/// cursor over the input: each batch keeps the values of the pass-through columns it read beside the model's inputs,
/// so one pass over the input serves every column of every row, and a source that can be read only once (a stream,
/// a queue, a database reader) is served correctly. On more than one processor the cursor works as a pipeline of two
/// batches: while the caller reads the rows of one batch and the cursor reads and encodes the batch after next, the
/// model runs on the next batch on the other processors (chunks of rows claimed in turn), and the cursor then
/// computes the chunks not yet claimed instead of waiting. It is the step ML.NET's ONNX export finds in the pipeline (the
/// view after <see cref="Source"/>): it writes itself through <paramref name="onnx"/>.</summary>
internal sealed class VaeDataView(IHost host, IDataView source, VaeMapper mapper, int batchSize, ISaveAsOnnx onnx) : ITransformCanSaveOnnx
{
    public DataViewSchema Schema => mapper.OutputSchema;

    /// <summary>The input view.</summary>
    public IDataView Source => source;

    public bool CanShuffle => false;

    public long? GetRowCount() => source.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var active = new bool[mapper.OutputSchema.Count];
        foreach (var column in columnsNeeded)
        {
            active[column.Index] = true;
        }

        var passThrough = mapper.PassThroughInputs(i => active[i]).ToArray();
        if (!mapper.NeedsModel(i => active[i]))
        {
            // Nothing to compute: the input's own cursor serves the pass-through columns.
            var direct = source.GetRowCursor(passThrough.Select(i => source.Schema[i]));
            return new PassThroughCursor(mapper, direct, active);
        }

        var input = source.GetRowCursor(passThrough.Union(mapper.InputIndices).Select(i => source.Schema[i]));
        var decode = mapper.NeedsDecoding(i => active[i]);
        var scores = mapper.NeedsScores(i => active[i]);
        var pipelined = Environment.ProcessorCount > 1;
        var slots = Enumerable.Range(0, pipelined ? 2 : 1)
            .Select(i => new BatchSlot(i, new BatchComputer(mapper.Inference, batchSize, decode, scores), input, passThrough, batchSize))
            .ToArray();
        return new Cursor(host, mapper, input, active, slots);
    }

    public bool CanSaveOnnx(OnnxContext ctx) => onnx.CanSaveOnnx(ctx);

    public void SaveAsOnnx(OnnxContext ctx) => onnx.SaveAsOnnx(ctx);

    /// <summary>Not a step of its own in a saved model: the transformer is what <c>mlContext.Model.Save</c> writes.</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) =>
        throw new NotSupportedException("Save the VariationalAutoencoderTransformer (mlContext.Model.Save), not the view it returns.");

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    /// <summary>The cursor when no output of the model is read: the input row as it is.</summary>
    private sealed class PassThroughCursor : DataViewRowCursor
    {
        private readonly DataViewRowCursor _input;
        private readonly VaeRow _row;

        public PassThroughCursor(VaeMapper mapper, DataViewRowCursor input, bool[] active)
        {
            _input = input;
            _row = new VaeRow(mapper, input, active, NoBatch.Instance);
        }

        public override DataViewSchema Schema => _row.Schema;

        public override long Position => _input.Position;

        public override long Batch => _input.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => _row.IsColumnActive(column);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => _row.GetGetter<TValue>(column);

        public override bool MoveNext() => _input.MoveNext();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _input.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly IHost _host;
        private readonly DataViewRowCursor _input;
        private readonly BatchSlot[] _slots;
        private readonly RowEncoder _encoder;
        private readonly VaeRow _row;
        private BatchSlot? _current;
        private BatchSlot? _pending;
        private bool _started;
        private bool _inputEnded;
        private int _index = -1;
        private long _position = -1;
        private long _read;
        private bool _disposed;

        public Cursor(IHost host, VaeMapper mapper, DataViewRowCursor input, bool[] active, BatchSlot[] slots)
        {
            _host = host;
            _input = input;
            _slots = slots;
            _encoder = new RowEncoder(mapper.Encoding, input);
            // Pass-through and observed values come from the batch being served, the model's outputs from its
            // computer; both change from batch to batch.
            var stored = new StoredRow(this, input.Schema);
            _row = new VaeRow(mapper, stored, active, new ServedBatch(this));
        }

        public override DataViewSchema Schema => _row.Schema;

        public override long Position => _position;

        public override long Batch => 0;

        public override ValueGetter<DataViewRowId> GetIdGetter() => _row.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => _row.IsColumnActive(column);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => _row.GetGetter<TValue>(column);

        public override bool MoveNext()
        {
            if (_current is null || ++_index >= _current.Rows)
            {
                _host.CheckAlive();
                _current = _slots.Length == 1 ? NextSequential() : NextPipelined();
                _index = _current is null ? -1 : 0;
                if (_current is null)
                {
                    return false;
                }
            }

            _position++;
            return true;
        }

        private BatchSlot? NextSequential()
        {
            var batch = _slots[0];
            if (!Fill(batch))
            {
                return null;
            }

            batch.Computer.Compute(batch.Rows, batch.First);
            return batch;
        }

        /// <summary>The served batch is done: reads and encodes the batch after next into its buffers while the
        /// model runs on the next one, then starts the model on the batch just read.</summary>
        private BatchSlot? NextPipelined()
        {
            if (!_started)
            {
                _started = true;
                if (Fill(_slots[0]))
                {
                    _pending = _slots[0].Start();
                }
            }

            if (_pending is not { } next)
            {
                return null;
            }

            var free = next == _slots[0] ? _slots[1] : _slots[0];
            var more = Fill(free);
            next.Wait();
            _pending = more ? free.Start() : null;
            return next;
        }

        /// <summary>Reads the next rows of the input into a batch: the model's inputs encoded, the pass-through values
        /// and row ids kept. False when the input has no more rows.</summary>
        private bool Fill(BatchSlot batch)
        {
            var computer = batch.Computer;
            var width = computer.Width;
            var rows = 0;
            while (rows < computer.Capacity && !_inputEnded)
            {
                if (!_input.MoveNext())
                {
                    _inputEnded = true;
                    break;
                }

                // Rows are served in the order they are read: a row's input position is its output position.
                var position = _read++;
                _encoder.Encode(computer.X.AsSpan(rows * width, width), position);
                batch.Store(rows, position);
                rows++;
            }

            batch.Rows = rows;
            return rows > 0;
        }

        /// <summary>The input row as the batch being served kept it: what the output row passes through and imputed
        /// columns read their observed values from.</summary>
        private sealed class StoredRow(Cursor cursor, DataViewSchema schema) : DataViewRow
        {
            public override DataViewSchema Schema => schema;

            public override long Position => cursor._position;

            public override long Batch => 0;

            public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId value) => value = cursor._current!.Ids[cursor._index];

            public override bool IsColumnActive(DataViewSchema.Column column) => cursor._slots[0].Column(column.Index) is not null;

            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
            {
                if (!IsColumnActive(column))
                {
                    throw new InvalidOperationException($"Column '{column.Name}' is not active in this row.");
                }

                // One getter per slot; the row's getter follows the batch being served.
                var getters = cursor._slots.Select(slot => slot.Column(column.Index)!.Getter(() => cursor._index) as ValueGetter<TValue>
                    ?? throw new InvalidOperationException($"Column '{column.Name}' has type {column.Type}, not {typeof(TValue).Name}.")).ToArray();
                return getters.Length == 1 ? getters[0] : (ref TValue value) => getters[cursor._current!.Index](ref value);
            }
        }

        /// <summary>The batch this cursor serves and its current row.</summary>
        private sealed class ServedBatch(Cursor cursor) : CurrentBatch
        {
            public override BatchComputer Computer => cursor._current!.Computer;

            public override int Row => cursor._index;
        }

        protected override void Dispose(bool disposing)
        {
            if (_disposed)
            {
                return;
            }

            if (disposing)
            {
                // A batch still running writes only to its own buffers; its outcome no longer matters.
                _pending?.WaitQuietly();
                _input.Dispose();
            }

            _disposed = true;
            base.Dispose(disposing);
        }
    }

    /// <summary>No batch: the cursor that serves pass-through columns only never reads one.</summary>
    private sealed class NoBatch : CurrentBatch
    {
        public static readonly NoBatch Instance = new();

        public override BatchComputer Computer => throw new InvalidOperationException("No output of the model is active.");

        public override int Row => throw new InvalidOperationException("No output of the model is active.");
    }

    /// <summary>A batch: the computer with its encoded rows and results, the pass-through values and ids of the same
    /// rows, the position of the first, and the run of the model on it when it runs on another thread.</summary>
    private sealed class BatchSlot
    {
        private readonly ValueGetter<DataViewRowId> _id;
        private readonly StoredColumn?[] _columns;
        private Task? _run;

        public BatchSlot(int index, BatchComputer computer, DataViewRowCursor input, int[] passThrough, int capacity)
        {
            Index = index;
            Computer = computer;
            _id = input.GetIdGetter();
            Ids = new DataViewRowId[capacity];
            _columns = new StoredColumn?[input.Schema.Count];
            foreach (var column in passThrough)
            {
                _columns[column] = StoredColumn.Create(input, input.Schema[column], capacity);
            }
        }

        /// <summary>The slot's place among the cursor's slots.</summary>
        public int Index { get; }

        public BatchComputer Computer { get; }

        public DataViewRowId[] Ids { get; }

        public int Rows { get; set; }

        /// <summary>The input position of the first row.</summary>
        public long First { get; private set; }

        public StoredColumn? Column(int index) => _columns[index];

        /// <summary>Keeps the input's current row at <paramref name="row"/> of the batch.</summary>
        public void Store(int row, long position)
        {
            if (row == 0)
            {
                First = position;
            }

            _id(ref Ids[row]);
            foreach (var column in _columns)
            {
                column?.Store(row);
            }
        }

        /// <summary>Starts the model on the batch on the other processors.</summary>
        public BatchSlot Start()
        {
            Computer.Open(Rows);
            _run = Task.Run(Computer.RunWorkers);
            return this;
        }

        /// <summary>Computes what is left of the batch beside the other threads, waits for them, and checks the
        /// results: a row the model overflows on is thrown here.</summary>
        public void Wait()
        {
            var run = _run;
            _run = null;
            if (run is null)
            {
                return;
            }

            Computer.Run(0);
            run.GetAwaiter().GetResult();
            Computer.Check(Rows, First);
        }

        /// <summary>Waits for the run of a batch nobody will read (the cursor is closing): its outcome is dropped.</summary>
        public void WaitQuietly()
        {
            try
            {
                Wait();
            }
            catch (Exception)
            {
                // The caller closed the cursor before reaching this batch; an error in it concerns rows never read.
            }
        }
    }

    /// <summary>The values one input column had in the rows of a batch.</summary>
    private abstract class StoredColumn
    {
        public static StoredColumn Create(DataViewRow input, DataViewSchema.Column column, int capacity)
        {
            var type = column.Type.RawType;
            var stored = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(VBuffer<>)
                ? typeof(StoredVectors<>).MakeGenericType(type.GetGenericArguments()[0])
                : typeof(StoredValues<>).MakeGenericType(type);
            return (StoredColumn)Activator.CreateInstance(stored, input, column, capacity)!;
        }

        /// <summary>Reads the input's current value into row <paramref name="row"/> of the batch.</summary>
        public abstract void Store(int row);

        /// <summary>A getter of the value at the row <paramref name="row"/> gives.</summary>
        public abstract Delegate Getter(Func<int> row);
    }

    /// <summary>Values that are copied by assignment: numbers, Booleans, keys, text (ReadOnlyMemory is immutable).</summary>
    private sealed class StoredValues<T>(DataViewRow input, DataViewSchema.Column column, int capacity) : StoredColumn
    {
        private readonly ValueGetter<T> _source = input.GetGetter<T>(column);
        private readonly T[] _values = new T[capacity];

        public override void Store(int row) => _source(ref _values[row]);

        public override Delegate Getter(Func<int> row) => (ValueGetter<T>)((ref T value) => value = _values[row()]);
    }

    /// <summary>Vectors: each row keeps a buffer of its own, reused from batch to batch; readers get copies.</summary>
    private sealed class StoredVectors<T>(DataViewRow input, DataViewSchema.Column column, int capacity) : StoredColumn
    {
        private readonly ValueGetter<VBuffer<T>> _source = input.GetGetter<VBuffer<T>>(column);
        private readonly VBuffer<T>[] _values = new VBuffer<T>[capacity];

        public override void Store(int row) => _source(ref _values[row]);

        public override Delegate Getter(Func<int> row) => (ValueGetter<VBuffer<T>>)((ref VBuffer<T> value) => _values[row()].CopyTo(ref value));
    }
}
