using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Vae.MLNet.Columns;

namespace Vae.MLNet.MLNet;

/// <summary>The lazy output of <c>Transform</c>. Its cursor runs the model on batches of rows: a look-ahead cursor
/// over the input reads and encodes the next batch, a second input cursor in step with the output serves the
/// pass-through columns. Both read the input in its own order, which an <see cref="IDataView"/> repeats.</summary>
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
        var computer = new BatchComputer(mapper.Parent.Inference, batchSize, mapper.NeedsDecoding(i => active[i]), mapper.NeedsScores(i => active[i]));
        return new Cursor(host, mapper, main, lookahead, active, computer);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly IHost _host;
        private readonly DataViewRowCursor _main;
        private readonly DataViewRowCursor? _lookahead;
        private readonly BatchComputer? _computer;
        private readonly RowEncoder? _encoder;
        private readonly VaeRow _row;
        private int _index = -1;
        private int _filled;
        private bool _disposed;

        public Cursor(IHost host, VaeMapper mapper, DataViewRowCursor main, DataViewRowCursor? lookahead, bool[] active, BatchComputer? computer)
        {
            _host = host;
            _main = main;
            _lookahead = lookahead;
            _computer = computer;
            _encoder = lookahead is null ? null : new RowEncoder(mapper.Parent.Encoding, lookahead);
            _row = new VaeRow(mapper, main, active, computer!, () => _index);
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

            if (_computer is null)
            {
                return true;
            }

            if (++_index >= _filled)
            {
                _host.CheckAlive();
                var rows = 0;
                var width = _computer.Width;
                long first = 0;
                while (rows < _computer.Capacity && _lookahead!.MoveNext())
                {
                    first = rows == 0 ? _lookahead.Position : first;
                    _encoder!.Encode(_computer.X.AsSpan(rows * width, width), _lookahead.Position);
                    rows++;
                }

                if (rows == 0)
                {
                    throw new InvalidOperationException("The input data returned fewer rows on a second cursor than on the first; its order must be repeatable.");
                }

                _computer.Compute(rows, first);
                _filled = rows;
                _index = 0;
            }

            return true;
        }

        protected override void Dispose(bool disposing)
        {
            if (_disposed)
            {
                return;
            }

            if (disposing)
            {
                _main.Dispose();
                _lookahead?.Dispose();
            }

            _disposed = true;
            base.Dispose(disposing);
        }
    }
}
