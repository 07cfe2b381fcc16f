using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Vae.MLNet.Columns;

namespace Vae.MLNet.MLNet;

/// <summary>The lazy output of <c>Transform</c>. Its cursor runs the model on batches of rows: a look-ahead cursor
/// over the input reads and encodes batches ahead, a second input cursor in step with the output serves the
/// pass-through columns. Both read the input in its own order, which an <see cref="IDataView"/> repeats. On more
/// than one processor the cursor works as a pipeline of two batches: while the caller reads the rows of one batch
/// and the cursor reads and encodes the batch after next, the model runs on the next batch on another thread.</summary>
internal sealed class VaeDataView(IHost host, IDataView source, VaeMapper mapper, int batchSize) : IDataView
{
    public DataViewSchema Schema => mapper.OutputSchema;

    public bool CanShuffle => false;

    public long? GetRowCount() => source.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var active = new bool[mapper.OutputSchema.Count];
        foreach (var column in columnsNeeded)
        {
            active[column.Index] = true;
        }

        var passThrough = mapper.PassThroughInputs(i => active[i]).Select(i => source.Schema[i]).ToArray();
        var main = source.GetRowCursor(passThrough);
        if (!mapper.NeedsModel(i => active[i]))
        {
            return new Cursor(host, mapper, main, null, active, null);
        }

        var lookahead = source.GetRowCursor(mapper.InputIndices.Select(i => source.Schema[i]));
        var decode = mapper.NeedsDecoding(i => active[i]);
        var scores = mapper.NeedsScores(i => active[i]);
        var pipelined = Environment.ProcessorCount > 1;
        var computers = Enumerable.Range(0, pipelined ? 2 : 1)
            .Select(_ => new BatchComputer(mapper.Parent.Inference, batchSize, decode, scores))
            .ToArray();
        return new Cursor(host, mapper, main, lookahead, active, computers);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly IHost _host;
        private readonly DataViewRowCursor _main;
        private readonly DataViewRowCursor? _lookahead;
        private readonly BatchSlot[] _batches;
        private readonly RowEncoder? _encoder;
        private readonly VaeRow _row;
        private BatchSlot? _current;
        private BatchSlot? _pending;
        private int _index = -1;
        private bool _disposed;

        public Cursor(IHost host, VaeMapper mapper, DataViewRowCursor main, DataViewRowCursor? lookahead, bool[] active, BatchComputer[]? computers)
        {
            _host = host;
            _main = main;
            _lookahead = lookahead;
            _batches = computers?.Select(c => new BatchSlot(c)).ToArray() ?? [];
            _encoder = lookahead is null ? null : new RowEncoder(mapper.Parent.Encoding, lookahead);
            // The row reads the batch being served; its computer changes from batch to batch.
            _row = new VaeRow(mapper, main, active, () => _current!.Computer, () => _index);
        }

        public override DataViewSchema Schema => _row.Schema;

        public override long Position => _main.Position;

        public override long Batch => _main.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => _main.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => _row.IsColumnActive(column);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => _row.GetGetter<TValue>(column);

        public override bool MoveNext()
        {
            if (!_main.MoveNext())
            {
                return false;
            }

            if (_batches.Length == 0)
            {
                return true;
            }

            if (_current is null || ++_index >= _current.Rows)
            {
                _host.CheckAlive();
                _current = _batches.Length == 1 ? NextSequential() : NextPipelined();
                _index = 0;
            }

            return true;
        }

        private BatchSlot NextSequential()
        {
            var batch = _batches[0];
            Fill(batch);
            RequireRows(batch);
            batch.Computer.Compute(batch.Rows, batch.First);
            return batch;
        }

        /// <summary>The served batch is done: reads and encodes the batch after next into its buffers while the
        /// model runs on the next one, then starts the model on the batch just read.</summary>
        private BatchSlot NextPipelined()
        {
            if (_pending is null)
            {
                // The first batch.
                Fill(_batches[0]);
                RequireRows(_batches[0]);
                _pending = _batches[0].Start();
            }

            var next = _pending;
            var free = next == _batches[0] ? _batches[1] : _batches[0];
            Fill(free);
            next.Wait();
            _pending = free.Rows > 0 ? free.Start() : null;
            RequireRows(next);
            return next;
        }

        private void Fill(BatchSlot batch)
        {
            var computer = batch.Computer;
            var width = computer.Width;
            var rows = 0;
            long first = 0;
            while (rows < computer.Capacity && _lookahead!.MoveNext())
            {
                first = rows == 0 ? _lookahead.Position : first;
                _encoder!.Encode(computer.X.AsSpan(rows * width, width), _lookahead.Position);
                rows++;
            }

            batch.Rows = rows;
            batch.First = first;
        }

        private static void RequireRows(BatchSlot batch)
        {
            if (batch.Rows == 0)
            {
                throw new InvalidOperationException("The input data returned fewer rows on a second cursor than on the first; its order must be repeatable.");
            }
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
                _main.Dispose();
                _lookahead?.Dispose();
            }

            _disposed = true;
            base.Dispose(disposing);
        }
    }

    /// <summary>A batch's buffers and model run: the rows read into it, the position of the first, and the run of
    /// the model on it when it runs on another thread.</summary>
    private sealed class BatchSlot(BatchComputer computer)
    {
        private Task? _run;

        public BatchComputer Computer { get; } = computer;

        public int Rows { get; set; }

        public long First { get; set; }

        public BatchSlot Start()
        {
            _run = Task.Run(() => Computer.Compute(Rows, First));
            return this;
        }

        /// <summary>Waits for the run; its exception (a row the model overflows on) is thrown here as it was raised.</summary>
        public void Wait()
        {
            var run = _run;
            _run = null;
            run?.GetAwaiter().GetResult();
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
}
